package dev.klambda.observer;

import dev.klambda.api.Function;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Whether this replica has loaded the Functions that exist: each one reconciled once since it began
 * to serve (handed to the gateway's registry, or found invalid). Until then the gateway answers 404
 * for a function it simply has not loaded yet, e.g. in the seconds after a failover, so readiness
 * waits for this. A Function that cannot be reconciled at all holds readiness back no longer than
 * the grace: one broken Function must not keep the gateway out of service.
 */
public final class FunctionsLoaded {
  private final Supplier<List<Function>> existing;
  private final Duration grace;
  private final LongSupplier nanoTime;
  private final Set<String> reconciled = ConcurrentHashMap.newKeySet();
  private volatile long servingSince;
  private volatile boolean serving;
  private volatile boolean loaded;

  /**
   * @param existing the Functions on the API server now; may throw when it cannot be reached
   */
  public FunctionsLoaded(Supplier<List<Function>> existing, Duration grace, LongSupplier nanoTime) {
    this.existing = existing;
    this.grace = grace;
    this.nanoTime = nanoTime;
  }

  /** This replica starts serving (it leads, or it is the only one): the grace starts now. */
  public void serving() {
    servingSince = nanoTime.getAsLong();
    serving = true;
  }

  /** The reconciler has handed this Function to the registry (or found it invalid). */
  void reconciled(Function function) {
    reconciled.add(function.getMetadata().getUid());
  }

  /**
   * Once true, true for good: later Functions are new, and a 404 for one not loaded yet is fair.
   */
  public boolean loaded() {
    if (loaded) {
      return true;
    }
    if (!serving) {
      return false;
    }
    if (nanoTime.getAsLong() - servingSince >= grace.toNanos()) {
      loaded = true;
      return true;
    }
    try {
      loaded = existing.get().stream().allMatch(f -> reconciled.contains(f.getMetadata().getUid()));
    } catch (RuntimeException apiServerUnreachable) {
      return false;
    }
    return loaded;
  }
}
