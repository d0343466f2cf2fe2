package dev.klambda.metering;

import dev.klambda.api.FunctionUsage;
import java.time.Instant;

/**
 * A ledger's {@link Usage} as it is written down (status.usage, the local ledger file) and read
 * back.
 */
public final class UsageReport {
  private UsageReport() {}

  public static FunctionUsage of(Usage usage, Billing billing) {
    FunctionUsage report = new FunctionUsage();
    report.setInvocations(usage.invocations());
    report.setErrors(usage.errors());
    report.setThrottles(usage.throttles());
    report.setBilledMilliseconds(usage.billedMillis());
    report.setMegabyteMilliseconds(usage.megabyteMillis());
    report.setGbSeconds(Billing.gbSeconds(usage.megabyteMillis()).toPlainString());
    report.setEstimatedCost(
        billing.cost(usage.megabyteMillis(), usage.invocations()).toPlainString());
    report.setSince(usage.since().toString());
    return report;
  }

  /** The exact totals of a report (derived fields are recomputed, never read back). */
  public static Usage parse(FunctionUsage report, Instant fallbackSince) {
    Instant since = report.getSince() == null ? fallbackSince : Instant.parse(report.getSince());
    return new Usage(
        report.getInvocations(),
        report.getErrors(),
        report.getThrottles(),
        report.getBilledMilliseconds(),
        report.getMegabyteMilliseconds(),
        since);
  }
}
