package dev.klambda.eventsources.sqs;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * When an SQS mapping with a backlog gets more pollers, and when it gives some back. Lambda adds
 * pollers at a fixed pace (up to 300 a minute) because its fleet has room for every environment
 * they start; a cluster, or the laptop local mode runs on, may not, and there each poller more is
 * one more cold start on a machine that is already full. So growth climbs by throughput:
 *
 * <ol>
 *   <li>measure how many records a second the pollers get through (the baseline);
 *   <li>add a step of pollers (1 at first) and wait until each has had its first batch through, so
 *       their cold starts are not measured;
 *   <li>measure again: if the step brought at least half its fair share ({@code step / pollers}
 *       more throughput), keep it, double the next step and go on from this measure; if not, the
 *       step's pollers are retired and growth pauses for a while.
 * </ol>
 *
 * A receive that comes back empty ends a climb (the backlog is gone). Pure bookkeeping, called by
 * the pollers; thread-safe.
 */
final class PollerScaling {
  /**
   * A throughput measure lasts at least this long, and until every poller had about {@link
   * #BATCHES_PER_POLLER} batches through (batches that straddle its ends then count for little), or
   * {@link #MEASURE_AT_MOST} with slow functions.
   */
  static final Duration MEASURE = Duration.ofSeconds(2);

  static final int BATCHES_PER_POLLER = 10;
  static final Duration MEASURE_AT_MOST = Duration.ofSeconds(30);

  /** How long growth pauses after a step that did not pay. */
  static final Duration COOL_DOWN = Duration.ofSeconds(30);

  /** Lambda adds up to 300 pollers a minute. */
  private static final int MAX_STEP = 64;

  private enum Phase {
    IDLE,
    BASELINE,
    READY,
    WARMING,
    MEASURING
  }

  private final int maximum;
  private final LongSupplier nanoTime;
  private final Set<Object> warming = new HashSet<>();
  private Phase phase = Phase.IDLE;
  private long since;
  private long records;
  private long batches;
  private double baseline;
  private int step = 1;
  private int added;
  private int pollersBefore;
  private int toRetire;
  private long coolUntil;

  PollerScaling(int maximum, LongSupplier nanoTime) {
    this.maximum = maximum;
    this.nanoTime = nanoTime;
    this.coolUntil = nanoTime.getAsLong();
  }

  /**
   * A poller's receive came back full while {@code pollers} run: how many pollers to add now (0
   * mostly). The caller starts them and names each through {@link #added}.
   */
  synchronized int grow(int pollers) {
    long now = nanoTime.getAsLong();
    if (phase == Phase.IDLE && pollers < maximum && now - coolUntil >= 0) {
      begin(Phase.BASELINE, now);
    }
    if (phase == Phase.BASELINE && measured(now, pollers)) {
      baseline = rate(now);
      phase = Phase.READY;
    }
    if (phase != Phase.READY) {
      return 0;
    }
    added = Math.min(step, maximum - pollers);
    if (added <= 0) {
      phase = Phase.IDLE;
      return 0;
    }
    pollersBefore = pollers;
    begin(Phase.WARMING, now);
    return added;
  }

  /** A poller the last {@link #grow} asked for was started. */
  synchronized void added(Object poller) {
    warming.add(poller);
  }

  /**
   * A poller had a batch of this many records through; the first batch of a new one ends its
   * warm-up.
   */
  synchronized void through(Object poller, int batch) {
    long now = nanoTime.getAsLong();
    records += batch;
    batches++;
    if (warming.remove(poller) && warming.isEmpty() && phase == Phase.WARMING) {
      begin(Phase.MEASURING, now);
    } else if (phase == Phase.MEASURING && measured(now, pollersBefore + added)) {
      judge(now);
    }
  }

  private boolean measured(long now, int pollers) {
    long elapsed = now - since;
    return elapsed >= MEASURE.toNanos()
        && (batches >= (long) BATCHES_PER_POLLER * pollers || elapsed >= MEASURE_AT_MOST.toNanos());
  }

  /** The step paid if it brought at least half its fair share of throughput. */
  private void judge(long now) {
    double after = rate(now);
    if (after >= baseline * (1 + 0.5 * added / pollersBefore)) {
      step = Math.min(step * 2, MAX_STEP);
      baseline = after; // the next step is measured against this
      phase = Phase.READY;
    } else {
      toRetire += added;
      step = 1;
      coolUntil = now + COOL_DOWN.toNanos();
      phase = Phase.IDLE;
    }
  }

  /** Whether the calling poller should end, giving back a step that did not pay. */
  synchronized boolean retireOne() {
    if (toRetire > 0) {
      toRetire--;
      return true;
    }
    return false;
  }

  /** A receive came back empty: the backlog is gone, and so is any climb. */
  synchronized void drained(Object poller) {
    warming.remove(poller);
    phase = Phase.IDLE;
    step = 1; // the next backlog climbs from one again, not from where this one ended
  }

  /** The poller ended (retired or closed) and will have no first batch. */
  synchronized void gone(Object poller) {
    if (warming.remove(poller) && warming.isEmpty() && phase == Phase.WARMING) {
      begin(Phase.MEASURING, nanoTime.getAsLong());
    }
  }

  private void begin(Phase next, long now) {
    phase = next;
    since = now;
    records = 0;
    batches = 0;
  }

  private double rate(long now) {
    return records / Math.max(1e-9, (now - since) / 1e9);
  }
}
