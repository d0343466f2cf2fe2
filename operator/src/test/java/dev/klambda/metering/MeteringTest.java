package dev.klambda.metering;

import static org.assertj.core.api.Assertions.assertThat;

import dev.klambda.agent.Settlement;
import dev.klambda.environments.InvocationResult;
import dev.klambda.environments.InvocationResult.Outcome;
import dev.klambda.function.FunctionConfig;
import dev.klambda.function.TestFunctions;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/** What an invocation is billed: at its answer, and the rest of its phase when it settles. */
class MeteringTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private final FunctionConfig function = TestFunctions.config("f", 1, 0, Duration.ofMinutes(5));
  private final UsageLedger ledger = new UsageLedger(Clock.fixed(T0, ZoneOffset.UTC));
  private final PrometheusMetrics metrics = new PrometheusMetrics();

  private static InvocationResult answered(long durationMicros, long initMicros) {
    return new InvocationResult(
        Outcome.SUCCESS, new byte[0], null, null, durationMicros, initMicros);
  }

  /**
   * 2.4 ms at the answer, 300.5 ms in all (it worked on after answering): 301 ms, as its REPORT.
   */
  @Test
  void anInvocationAnsweredEarlyIsBilledForItsWholePhaseOnceItSettles() {
    Metering metering = new Metering(Billing.AWS, ledger, metrics);
    metering.completed(function, answered(2_400, 0), 0);
    assertThat(ledger.totals().get(function.key()).billedMillis()).isEqualTo(3);

    metering.settled(function, new Settlement("r1", 2_400, 300_500, 0));

    Usage usage = ledger.totals().get(function.key());
    assertThat(usage.invocations()).as("still one invocation").isEqualTo(1);
    assertThat(usage.billedMillis()).isEqualTo(301);
    assertThat(usage.megabyteMillis()).isEqualTo(301L * function.memoryMB());
    assertThat(metrics.scrape())
        .containsPattern("klambda_billed_duration_seconds_total\\{[^}]*\\} 0\\.301\\b");
  }

  /** The rounding is the whole phase's, Init included, at the configured granularity. */
  @Test
  void theSettlementBillsTheDifferenceOfTheRoundedDurations() {
    Billing hundreds = new Billing(100, true, BigDecimal.ZERO, BigDecimal.ZERO);
    Metering metering = new Metering(hundreds, ledger, metrics);
    metering.completed(function, answered(40_000, 30_000), 0); // 70 ms: 100
    metering.settled(function, new Settlement("r1", 40_000, 80_000, 30_000)); // 110 ms: 200
    metering.settled(
        function, new Settlement("r2", 40_000, 50_000, 30_000)); // 80 ms: still 100, nothing more

    assertThat(ledger.totals().get(function.key()).billedMillis()).isEqualTo(200);
  }
}
