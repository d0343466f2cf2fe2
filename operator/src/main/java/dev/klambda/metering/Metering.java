package dev.klambda.metering;

import dev.klambda.agent.Settlement;
import dev.klambda.environments.InvocationResult;
import dev.klambda.environments.Settlements;
import dev.klambda.function.FunctionConfig;
import dev.klambda.routing.InvocationObserver;
import java.util.concurrent.TimeUnit;

/**
 * Meters every invocation: billed duration and compute (exact, into the usage ledger) and the
 * Prometheus metrics (durations, cold starts, queue waits, billing and cost counters).
 */
public final class Metering implements InvocationObserver, Settlements {
  private static final double MB_MS_PER_GB_SECOND = 1024.0 * 1000.0;

  private final Billing billing;
  private final UsageLedger ledger;
  private final PrometheusMetrics metrics;
  private final double pricePerGbSecond;
  private final double pricePerRequest;

  public Metering(Billing billing, UsageLedger ledger, PrometheusMetrics metrics) {
    this.billing = billing;
    this.ledger = ledger;
    this.metrics = metrics;
    this.pricePerGbSecond = billing.pricePerGbSecond().doubleValue();
    this.pricePerRequest = billing.pricePerMillionRequests().doubleValue() / 1_000_000;
  }

  @Override
  public void completed(FunctionConfig function, InvocationResult result, long queueWaitNanos) {
    long billedMillis = billing.billedMillis(result.durationMicros(), result.initDurationMicros());
    long megabyteMillis = Billing.megabyteMillis(function.memoryMB(), billedMillis);
    ledger.invoked(function.key(), result.functionError(), billedMillis, megabyteMillis);

    FunctionMeters meters = metrics.meters(function.key());
    switch (result.outcome()) {
      case SUCCESS -> meters.success.increment();
      case TIMEOUT -> meters.timeout.increment();
      default -> meters.error.increment();
    }
    meters.duration.record(result.durationMicros(), TimeUnit.MICROSECONDS);
    if (result.initDurationMicros() > 0) {
      meters.coldStarts.increment();
      meters.initDuration.record(result.initDurationMicros(), TimeUnit.MICROSECONDS);
    }
    meters.queueWait.record(queueWaitNanos, TimeUnit.NANOSECONDS);
    bill(meters, billedMillis, megabyteMillis, pricePerRequest);
  }

  /** Billed time, compute and their cost (plus {@code requestCost}) on the function's meters. */
  private void bill(
      FunctionMeters meters, long billedMillis, long megabyteMillis, double requestCost) {
    double gbSeconds = megabyteMillis / MB_MS_PER_GB_SECOND;
    meters.billedSeconds.increment(billedMillis / 1000.0);
    meters.gbSeconds.increment(gbSeconds);
    meters.estimatedCost.increment(gbSeconds * pricePerGbSecond + requestCost);
  }

  /**
   * The rest of an invocation answered before its Invoke phase ended: the billed duration (and its
   * compute and cost) of the whole phase less what was billed at the answer, as its REPORT says.
   */
  @Override
  public void settled(FunctionConfig function, Settlement settlement) {
    long billedMillis =
        billing.billedMillis(settlement.durationMicros(), settlement.initDurationMicros())
            - billing.billedMillis(settlement.answeredMicros(), settlement.initDurationMicros());
    if (billedMillis <= 0) {
      return;
    }
    long megabyteMillis = Billing.megabyteMillis(function.memoryMB(), billedMillis);
    ledger.billed(function.key(), billedMillis, megabyteMillis);
    bill(metrics.meters(function.key()), billedMillis, megabyteMillis, 0);
  }

  @Override
  public void throttled(FunctionConfig function) {
    ledger.throttled(function.key());
    metrics.meters(function.key()).throttled.increment();
  }

  @Override
  public void forwarded(FunctionConfig function) {
    metrics.meters(function.key()).forwarded.increment();
  }

  @Override
  public void event(String key, EventOutcome outcome, long ageNanos) {
    FunctionMeters meters = metrics.meters(key);
    switch (outcome) {
      case RECEIVED -> meters.eventsReceived.increment();
      case RETRIED -> {
        meters.eventsRetried.increment();
        meters.eventAge.record(ageNanos, TimeUnit.NANOSECONDS);
      }
      case DROPPED -> {
        meters.eventsDropped.increment();
        meters.eventAge.record(ageNanos, TimeUnit.NANOSECONDS);
      }
    }
  }

  @Override
  public void invocationRecord(String key, String destination, boolean sent) {
    metrics.meters(key).invocationRecords(destination, sent).increment();
  }
}
