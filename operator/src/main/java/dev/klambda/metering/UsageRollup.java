package dev.klambda.metering;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Adds what the ledger metered since the last write to the store, at an interval and once more at
 * shutdown, for the functions whose usage changed. Adding (not overwriting) lets several processes
 * meter one function: the gateway replica that routed it before and the one that does now.
 */
public final class UsageRollup implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(UsageRollup.class);
  private final UsageLedger ledger;
  private final UsageStore store;
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          r -> Thread.ofPlatform().daemon().name("usage-rollup").unstarted(r));
  private final Map<String, Usage> written = new HashMap<>();

  public UsageRollup(UsageLedger ledger, UsageStore store, Duration interval) {
    this.ledger = ledger;
    this.store = store;
    timer.scheduleWithFixedDelay(
        this::rollUpQuietly, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Writes what changed; returns how many functions that was. */
  public synchronized int rollUp() {
    Map<String, Usage> totals = ledger.totals();
    Map<String, Usage> added = new HashMap<>();
    totals.forEach(
        (key, usage) -> {
          Usage before = written.get(key);
          Usage more = before == null ? usage : usage.minus(before);
          if (!more.isZero()) {
            added.put(key, more);
          }
        });
    if (added.isEmpty()) {
      return 0;
    }
    Set<String> done = store.add(added);
    done.forEach(key -> written.put(key, totals.get(key)));
    return done.size();
  }

  private void rollUpQuietly() {
    try {
      rollUp();
    } catch (RuntimeException e) {
      LOG.warn("usage roll-up failed (retried at the next interval)", e);
    }
  }

  /** The last roll-up: call after in-flight invocations have finished. */
  @Override
  public void close() {
    timer.shutdownNow();
    rollUp();
  }
}
