package dev.klambda.pool;

import dev.klambda.function.FunctionConfig;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps each pool at its size: members started ahead of demand, handed out one per cold start that
 * fits, replaced as soon as one is taken or dies. A member taken leaves the pool for good (it
 * serves one function for its whole life and is stopped like any of its environments). A member
 * that cannot be started is tried again after a pause that doubles up to half a minute, so a
 * missing image or a full node does not spin.
 */
public final class WarmPool implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WarmPool.class);
  private static final long MAX_RETRY_PAUSE_MILLIS = 30_000;

  /** Members of one pool: ready to be claimed, and being started. */
  public record Counts(PoolSpec pool, int pooled, int starting) {}

  private static final class Pool {
    final Deque<PoolMember> ready = new ArrayDeque<>();
    int starting;
    int failures;
  }

  private final PoolMembers members;
  private final Map<PoolSpec, Pool> pools = new LinkedHashMap<>();
  private final ReentrantLock lock = new ReentrantLock();
  private final ScheduledExecutorService retries =
      Executors.newSingleThreadScheduledExecutor(
          Thread.ofPlatform().daemon().name("warm-pool-retry").factory());
  private boolean running;
  private boolean closed;

  public WarmPool(List<PoolSpec> specs, PoolMembers members) {
    this.members = members;
    specs.forEach(spec -> pools.put(spec, new Pool()));
  }

  /**
   * Adopts the members that already run (a previous operator's), then starts what is missing. Until
   * then, and after {@link #suspend}, nothing is started or handed out.
   */
  public void start() {
    List<PoolMember> existing = members.existingMembers(List.copyOf(pools.keySet()));
    lock.lock();
    try {
      if (closed || running) {
        existing.forEach(members::discard);
        return;
      }
      running = true;
      for (PoolMember member : existing) {
        Pool pool = pools.get(member.pool());
        if (pool != null && pool.ready.size() < member.pool().size()) {
          LOG.info("warm pool {}: adopted member {}", member.pool(), member.id());
          admit(member, pool);
        } else {
          members.discard(member);
        }
      }
    } finally {
      lock.unlock();
    }
    pools.keySet().forEach(this::refill);
  }

  /** Another replica keeps the pools now: stop starting members (those started stay). */
  public void suspend() {
    lock.lock();
    try {
      running = false;
    } finally {
      lock.unlock();
    }
  }

  /** A member for a cold start of {@code function}, if a pool fits it and has one ready. */
  public Optional<PoolMember> take(FunctionConfig function) {
    PoolSpec taken = null;
    PoolMember member = null;
    lock.lock();
    try {
      if (!running) {
        return Optional.empty();
      }
      for (Map.Entry<PoolSpec, Pool> entry : pools.entrySet()) {
        if (entry.getKey().fits(function)) {
          member = entry.getValue().ready.pollLast(); // the newest: least likely to have died
          if (member != null) {
            taken = entry.getKey();
            break;
          }
        }
      }
    } finally {
      lock.unlock();
    }
    if (taken != null) {
      LOG.info("warm pool {}: member {} goes to function {}", taken, member.id(), function.key());
      refill(taken);
    }
    return Optional.ofNullable(member);
  }

  public List<Counts> counts() {
    lock.lock();
    try {
      return pools.entrySet().stream()
          .map(e -> new Counts(e.getKey(), e.getValue().ready.size(), e.getValue().starting))
          .toList();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Stops starting members; those pooled stay for the next operator (Pods) or their manager's
   * close.
   */
  @Override
  public void close() {
    lock.lock();
    try {
      closed = true;
      running = false;
    } finally {
      lock.unlock();
    }
    retries.shutdownNow();
  }

  /** Starts what the pool lacks; outside the lock, so a start that fails at once cannot spin. */
  private void refill(PoolSpec spec) {
    int missing;
    lock.lock();
    try {
      Pool pool = pools.get(spec);
      missing = running ? Math.max(0, spec.size() - pool.ready.size() - pool.starting) : 0;
      pool.starting += missing;
    } finally {
      lock.unlock();
    }
    for (int i = 0; i < missing; i++) {
      members.startMember(spec).whenComplete((member, failure) -> started(spec, member, failure));
    }
  }

  private void started(PoolSpec spec, PoolMember member, Throwable failure) {
    long retryPause = 0;
    boolean discard = false;
    lock.lock();
    try {
      Pool pool = pools.get(spec);
      pool.starting--;
      if (failure != null) {
        pool.failures++;
        retryPause = Math.min(MAX_RETRY_PAUSE_MILLIS, 1000L << Math.min(pool.failures - 1, 15));
        LOG.warn(
            "warm pool {}: a member did not start, next try in {} ms: {}",
            spec,
            retryPause,
            failure.getMessage());
      } else if (!running || pool.ready.size() >= spec.size()) {
        discard = true;
      } else {
        pool.failures = 0;
        LOG.info("warm pool {}: member {} ready", spec, member.id());
        admit(member, pool);
      }
    } finally {
      lock.unlock();
    }
    if (discard) {
      members.discard(member);
    } else if (retryPause > 0) {
      try {
        retries.schedule(() -> refill(spec), retryPause, TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.RejectedExecutionException closing) {
        // closed meanwhile
      }
    }
  }

  /** Pooled from now on; a member that dies while pooled is forgotten and replaced. */
  private void admit(PoolMember member, Pool pool) {
    pool.ready.addLast(member);
    member
        .terminated()
        .thenRun(
            () -> {
              boolean wasPooled;
              lock.lock();
              try {
                wasPooled = pool.ready.remove(member);
              } finally {
                lock.unlock();
              }
              if (wasPooled) {
                LOG.warn("warm pool {}: member {} ended while pooled", member.pool(), member.id());
                refill(member.pool());
              }
            });
  }
}
