package dev.klambda.eventsources.sqs;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The climb by throughput, on a clock the test moves. */
class PollerScalingTest {
  private long now = 1_000;
  private final PollerScaling scaling = new PollerScaling(20, () -> now);

  private void pass(Duration duration) {
    now += duration.toNanos();
  }

  /**
   * {@code pollers} pollers at {@code perPoller} records a second for one measure, in 10 batches
   * each.
   */
  private void work(int pollers, double perPoller) {
    for (int tick = 0; tick < 10; tick++) {
      for (int poller = 0; poller < pollers; poller++) {
        scaling.through("p" + poller, (int) (perPoller * PollerScaling.MEASURE.toSeconds() / 10));
      }
      pass(PollerScaling.MEASURE.dividedBy(10));
    }
  }

  /** Takes a baseline at {@code pollers} and returns the step asked for. */
  private int baseline(int pollers, double perPoller) {
    assertThat(scaling.grow(pollers)).as("no step before a baseline").isZero();
    work(pollers, perPoller);
    return scaling.grow(pollers);
  }

  @Test
  void stepsThatRaiseThroughputAreKeptAndDoubled() {
    assertThat(baseline(5, 100)).isEqualTo(1);
    scaling.added("p5");
    assertThat(scaling.grow(6)).as("nothing while the step warms up").isZero();
    scaling.through("p5", 10); // its first batch: the cold start is behind it
    work(6, 100);
    scaling.through("p0", 1);

    assertThat(scaling.grow(6))
        .as("6 pollers did 20 % more: the next step is twice as big")
        .isEqualTo(2);
    assertThat(scaling.retireOne()).isFalse();
  }

  @Test
  void aStepThatDoesNotPayIsGivenBackAndGrowthPauses() {
    assertThat(baseline(5, 100)).isEqualTo(1);
    scaling.added("p5");
    scaling.through("p5", 10);
    work(6, 80); // a full machine: six do no more than five did
    scaling.through("p0", 1);

    assertThat(scaling.retireOne()).as("one poller gives the step back").isTrue();
    assertThat(scaling.retireOne()).isFalse();
    assertThat(scaling.grow(5)).isZero();
    pass(PollerScaling.COOL_DOWN.minusSeconds(1));
    assertThat(scaling.grow(5)).as("still cooling down").isZero();
    pass(Duration.ofSeconds(1));
    assertThat(baseline(5, 100)).as("a new climb after the pause").isEqualTo(1);
  }

  @Test
  void aMeasureWaitsForEnoughBatchesOrAtMostHalfAMinute() {
    assertThat(scaling.grow(5)).isZero();
    scaling.through("p0", 10);
    pass(PollerScaling.MEASURE);
    assertThat(scaling.grow(5)).as("one batch says little about five pollers").isZero();
    pass(PollerScaling.MEASURE_AT_MOST);
    assertThat(scaling.grow(5)).as("a slow function is measured as it is").isEqualTo(1);
  }

  @Test
  void neverBeyondTheMaximum() {
    PollerScaling capped = new PollerScaling(6, () -> now);
    assertThat(capped.grow(5)).isZero();
    for (int tick = 0; tick < 10; tick++) {
      for (int poller = 0; poller < 6; poller++) {
        capped.through("p" + poller, 20);
      }
      pass(PollerScaling.MEASURE.dividedBy(10));
    }
    assertThat(capped.grow(6)).as("at maximumConcurrency, however good the baseline").isZero();
  }

  @Test
  void anEmptyReceiveEndsTheClimbAndTheNextStartsFromOne() {
    assertThat(baseline(5, 100)).isEqualTo(1);
    scaling.added("p5");
    scaling.through("p5", 10);
    work(6, 100);
    scaling.through("p0", 1);
    assertThat(scaling.grow(6)).isEqualTo(2);
    scaling.added("p6");
    scaling.added("p7");

    scaling.drained("p6"); // the backlog is gone
    work(8, 100);
    assertThat(scaling.grow(8)).as("a new baseline first").isZero();
    work(8, 100);
    assertThat(scaling.grow(8)).as("from one again").isEqualTo(1);
  }
}
