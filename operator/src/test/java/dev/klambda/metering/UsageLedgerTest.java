package dev.klambda.metering;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UsageLedgerTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private final UsageLedger ledger = new UsageLedger(Clock.fixed(T0, ZoneOffset.UTC));

  @Test
  void countsWhatThisProcessMetered() {
    ledger.invoked("default/f", false, 5, 640);
    ledger.invoked("default/f", true, 7, 896);
    ledger.throttled("default/f");

    assertThat(ledger.totals()).containsEntry("default/f", new Usage(2, 1, 1, 12, 1536, T0));
  }

  /** Two gateway replicas meter one function (its routing moved): the store gets the sum. */
  @Test
  void rollUpsAddOnlyWhatIsNewSoReplicasAddUp() {
    Map<String, Usage> stored = new java.util.concurrent.ConcurrentHashMap<>();
    UsageStore store =
        more -> {
          more.forEach((key, usage) -> stored.merge(key, usage, Usage::plus));
          return more.keySet();
        };
    UsageLedger other = new UsageLedger(Clock.fixed(T0.plusSeconds(5), ZoneOffset.UTC));
    UsageRollup here = new UsageRollup(ledger, store, java.time.Duration.ofHours(1));
    UsageRollup there = new UsageRollup(other, store, java.time.Duration.ofHours(1));

    ledger.invoked("default/f", false, 5, 640);
    assertThat(here.rollUp()).isEqualTo(1);
    other.invoked("default/f", true, 7, 896);
    other.throttled("default/f");
    there.close();
    ledger.invoked("default/f", false, 1, 128);
    assertThat(here.rollUp()).isEqualTo(1);
    assertThat(here.rollUp()).isZero(); // nothing new
    here.close();

    assertThat(stored).containsEntry("default/f", new Usage(3, 1, 1, 13, 1664, T0));
  }

  /** A store that cannot write a function now gets the same usage again at the next roll-up. */
  @Test
  void usageNotWrittenIsAddedLater() {
    Map<String, Usage> stored = new java.util.HashMap<>();
    java.util.concurrent.atomic.AtomicBoolean down =
        new java.util.concurrent.atomic.AtomicBoolean(true);
    UsageStore store =
        more -> {
          if (down.get()) {
            return java.util.Set.of();
          }
          more.forEach((key, usage) -> stored.merge(key, usage, Usage::plus));
          return more.keySet();
        };
    UsageRollup rollup = new UsageRollup(ledger, store, java.time.Duration.ofHours(1));
    ledger.invoked("default/f", false, 5, 640);
    assertThat(rollup.rollUp()).isZero();
    down.set(false);
    ledger.invoked("default/f", false, 5, 640);
    rollup.close();

    assertThat(stored).containsEntry("default/f", new Usage(2, 0, 0, 10, 1280, T0));
  }

  @Test
  void concurrentRecordingLosesNothing() {
    try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
      for (int i = 0; i < 100_000; i++) {
        pool.submit(() -> ledger.invoked("default/g", false, 1, 128));
      }
    }
    assertThat(ledger.totals().get("default/g"))
        .isEqualTo(new Usage(100_000, 0, 0, 100_000, 12_800_000, T0));
  }

  @Test
  void theLocalLedgerFileSurvivesAProcess(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("usage.json");
    ledger.invoked("default/f", false, 3, 384);
    new UsageRollup(ledger, new FileUsageStore(file, Billing.AWS), java.time.Duration.ofHours(1))
        .close();

    UsageLedger next = new UsageLedger(Clock.systemUTC());
    FileUsageStore store = new FileUsageStore(file, Billing.AWS);
    store.load();
    next.invoked("default/f", false, 2, 256);
    new UsageRollup(next, store, java.time.Duration.ofHours(1)).close();

    assertThat(new FileUsageStore(file, Billing.AWS).load().get("default/f"))
        .isEqualTo(new Usage(2, 0, 0, 5, 640, T0));
  }
}
