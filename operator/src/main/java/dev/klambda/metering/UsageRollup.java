package dev.klambda.metering;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Writes the ledger's totals to the store at an interval and once more at shutdown, only for the
 * functions whose usage changed since the last write.
 */
public final class UsageRollup implements AutoCloseable {
  private final UsageLedger ledger;
  private final UsageStore store;
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
      r -> Thread.ofPlatform().daemon().name("usage-rollup").unstarted(r));
  private final Map<String, Usage> written = new HashMap<>();

  public UsageRollup(UsageLedger ledger, UsageStore store, Duration interval) {
    this.ledger = ledger;
    this.store = store;
    timer.scheduleWithFixedDelay(this::rollUpQuietly, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Writes what changed; returns how many functions that was. */
  public synchronized int rollUp() {
    Map<String, Usage> changed = new HashMap<>();
    ledger.totals().forEach((key, usage) -> {
      if (!usage.equals(written.get(key))) {
        changed.put(key, usage);
      }
    });
    if (!changed.isEmpty()) {
      store.save(changed);
      written.putAll(changed);
    }
    return changed.size();
  }

  private void rollUpQuietly() {
    try {
      rollUp();
    } catch (RuntimeException e) {
      System.err.println("klambda: usage roll-up failed (retried at the next interval): " + e.getMessage());
    }
  }

  /** The last roll-up: call after in-flight invocations have finished. */
  @Override
  public void close() {
    timer.shutdownNow();
    rollUp();
  }
}
