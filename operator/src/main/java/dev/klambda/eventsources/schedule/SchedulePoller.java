package dev.klambda.eventsources.schedule;

import dev.klambda.eventsources.EventSink;
import dev.klambda.eventsources.MappingConfig;
import dev.klambda.eventsources.Poller;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

/**
 * Fires a schedule: at each time the expression gives, an asynchronous invocation with the
 * mapping's input, or else EventBridge Scheduler's scheduled event. Missed times (klambda was not
 * running) are not made up, as with EventBridge.
 */
public final class SchedulePoller implements Poller {
  /** Waits until an instant; tests pass one that does not wait. */
  public interface Sleeper {
    void sleepUntil(Instant when, Clock clock) throws InterruptedException;

    Sleeper REAL =
        (when, clock) -> {
          Duration left = Duration.between(clock.instant(), when);
          if (!left.isNegative()) {
            Thread.sleep(left);
          }
        };
  }

  private final MappingConfig mapping;
  private final MappingConfig.Schedule schedule;
  private final EventSink sink;
  private final String region;
  private final Clock clock;
  private final Sleeper sleeper;
  private final Thread thread;

  public SchedulePoller(
      MappingConfig mapping,
      MappingConfig.Schedule schedule,
      EventSink sink,
      String region,
      Clock clock,
      Sleeper sleeper) {
    this.mapping = mapping;
    this.schedule = schedule;
    this.sink = sink;
    this.region = region;
    this.clock = clock;
    this.sleeper = sleeper;
    this.thread = Thread.ofVirtual().name("schedule-" + mapping.key()).start(this::run);
  }

  private void run() {
    Instant next = schedule.expression().next(clock.instant());
    try {
      while (!Thread.currentThread().isInterrupted()) {
        sleeper.sleepUntil(next, clock);
        sink.submitEvent(mapping.functionKey(), event(next));
        next = schedule.expression().next(next);
      }
    } catch (InterruptedException stopped) {
      // closed
    }
  }

  private byte[] event(Instant time) {
    if (schedule.input() != null) {
      return schedule.input().getBytes(StandardCharsets.UTF_8);
    }
    String arn =
        "arn:aws:scheduler:"
            + region
            + ":"
            + mapping.namespace()
            + ":schedule/default/"
            + mapping.name();
    return ("{\"version\":\"0\",\"id\":\""
            + UUID.randomUUID()
            + "\",\"detail-type\":\"Scheduled Event\","
            + "\"source\":\"aws.scheduler\",\"account\":\""
            + mapping.namespace()
            + "\",\"time\":\""
            + time
            + "\",\"region\":\""
            + region
            + "\",\"resources\":[\""
            + arn
            + "\"],\"detail\":{}}")
        .getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    thread.interrupt();
  }
}
