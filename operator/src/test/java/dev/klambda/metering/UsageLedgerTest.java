package dev.klambda.metering;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UsageLedgerTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private final UsageLedger ledger = new UsageLedger(Clock.fixed(T0, ZoneOffset.UTC));

  @Test
  void addsWhatThisProcessMeteredToWhatWasPersisted() {
    ledger.seed("default/f", new Usage(10, 1, 2, 100, 12_800, T0.minusSeconds(60)));
    ledger.invoked("default/f", false, 5, 640);
    ledger.invoked("default/f", true, 7, 896);
    ledger.throttled("default/f");
    ledger.seed("default/f", Usage.none(T0)); // too late: ignored

    assertThat(ledger.totals()).containsEntry("default/f",
        new Usage(12, 2, 3, 112, 14_336, T0.minusSeconds(60)));
  }

  @Test
  void concurrentRecordingLosesNothing() {
    try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
      for (int i = 0; i < 100_000; i++) {
        pool.submit(() -> ledger.invoked("default/g", false, 1, 128));
      }
    }
    assertThat(ledger.totals().get("default/g")).isEqualTo(new Usage(100_000, 0, 0, 100_000, 12_800_000, T0));
  }

  @Test
  void theLocalLedgerFileSurvivesAProcess(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("usage.json");
    ledger.invoked("default/f", false, 3, 384);
    new UsageRollup(ledger, new FileUsageStore(file, Billing.AWS), java.time.Duration.ofHours(1)).close();

    UsageLedger next = new UsageLedger(Clock.systemUTC());
    new FileUsageStore(file, Billing.AWS).load().forEach(next::seed);
    next.invoked("default/f", false, 2, 256);

    assertThat(next.totals().get("default/f")).isEqualTo(new Usage(2, 0, 0, 5, 640, T0));
  }
}
