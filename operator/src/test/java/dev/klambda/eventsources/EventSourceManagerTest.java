package dev.klambda.eventsources;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.klambda.destinations.SecretSource;
import dev.klambda.eventsources.filter.RecordFilter;
import dev.klambda.eventsources.schedule.ScheduleExpression;
import dev.klambda.eventsources.schedule.SchedulePoller;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class EventSourceManagerTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Lambda's default: what the stand-in function is given. */
  private static final Duration FUNCTION_TIMEOUT = Duration.ofSeconds(3);

  /** A clock the sleeper moves forward: each tick the test allows jumps to the next fire time. */
  private static final class SteppedTime extends Clock {
    volatile Instant now = Instant.parse("2026-11-25T10:07:30Z");
    final Semaphore ticks = new Semaphore(0);

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }

    SchedulePoller.Sleeper sleeper() {
      return (when, clock) -> {
        ticks.acquire();
        now = when;
      };
    }
  }

  private record Event(String function, String payload) {}

  private final SteppedTime time = new SteppedTime();
  private final List<Event> events = new CopyOnWriteArrayList<>();
  private final EventSourceManager manager =
      new EventSourceManager(
          (function, payload) -> events.add(new Event(function, new String(payload))),
          (function, payload) -> {
            throw new AssertionError("no batches here");
          },
          MappingObserver.NONE,
          SecretSource.NONE,
          "eu-west-1",
          time,
          time.sleeper());

  private static MappingConfig schedule(
      String name, String expression, String input, boolean enabled, long generation) {
    return new MappingConfig(
        "team-a",
        name,
        "uid-" + name,
        generation,
        "report",
        enabled,
        10,
        Duration.ZERO,
        -1,
        false,
        false,
        null,
        1000,
        RecordFilter.of(List.of()),
        new MappingConfig.Schedule(
            expression,
            ScheduleExpression.parse(expression, ZoneOffset.UTC),
            input,
            ZoneOffset.UTC),
        null);
  }

  @Test
  void aScheduleInvokesTheFunctionWithAScheduledEventAtEachTime() throws Exception {
    manager.apply(
        schedule("every-quarter", "cron(0/15 * * * ? *)", null, true, 1), FUNCTION_TIMEOUT);
    time.ticks.release(2);

    await().atMost(Duration.ofSeconds(5)).until(() -> events.size() == 2);
    assertThat(events).extracting(Event::function).containsOnly("team-a/report");
    JsonNode first = JSON.readTree(events.get(0).payload());
    assertThat(first.get("detail-type").asText()).isEqualTo("Scheduled Event");
    assertThat(first.get("time").asText()).isEqualTo("2026-11-25T10:15:00Z");
    assertThat(first.get("region").asText()).isEqualTo("eu-west-1");
    assertThat(first.get("resources").get(0).asText())
        .isEqualTo("arn:aws:scheduler:eu-west-1:team-a:schedule/default/every-quarter");
    assertThat(JSON.readTree(events.get(1).payload()).get("time").asText())
        .isEqualTo("2026-11-25T10:30:00Z");
    manager.close();
  }

  @Test
  void theInputIsTheEventWhenGiven() throws Exception {
    manager.apply(
        schedule("nightly", "rate(1 day)", "{\"job\":\"cleanup\"}", true, 1), FUNCTION_TIMEOUT);
    time.ticks.release(1);

    await().atMost(Duration.ofSeconds(5)).until(() -> events.size() == 1);
    assertThat(events.getFirst().payload()).isEqualTo("{\"job\":\"cleanup\"}");
    manager.close();
  }

  @Test
  void disablingStopsThePollerAndEnablingStartsItAgain() throws Exception {
    manager.apply(schedule("s", "rate(5 minutes)", "{}", true, 1), FUNCTION_TIMEOUT);
    assertThat(manager.isRunning("team-a/s")).isTrue();

    manager.apply(schedule("s", "rate(5 minutes)", "{}", false, 2), FUNCTION_TIMEOUT);
    assertThat(manager.isRunning("team-a/s")).isFalse();

    manager.apply(schedule("s", "rate(5 minutes)", "{}", true, 3), FUNCTION_TIMEOUT);
    assertThat(manager.isRunning("team-a/s")).isTrue();
    manager.close();
    assertThat(manager.isRunning("team-a/s")).isFalse();
  }

  @Test
  void aSuspendedManagerStartsNothingUntilResumed() throws Exception {
    manager.apply(schedule("s", "rate(5 minutes)", "{}", true, 1), FUNCTION_TIMEOUT);
    manager.suspend(); // another replica leads now

    manager.apply(
        schedule("s", "rate(5 minutes)", "{}", true, 2),
        FUNCTION_TIMEOUT); // a reconcile still running here
    assertThat(manager.isRunning("team-a/s")).isFalse();

    manager.resume();
    manager.apply(schedule("s", "rate(5 minutes)", "{}", true, 2), FUNCTION_TIMEOUT);
    assertThat(manager.isRunning("team-a/s")).isTrue();
    manager.close();
    manager.apply(schedule("s", "rate(5 minutes)", "{}", true, 3), FUNCTION_TIMEOUT);
    assertThat(manager.isRunning("team-a/s")).as("closed is final for apply").isFalse();
  }

  @Test
  void aSecretThatCannotBeReadRightNowLeavesTheRunningPollerAlone() throws Exception {
    AtomicBoolean apiServerDown = new AtomicBoolean();
    EventSourceManager withSecrets =
        new EventSourceManager(
            (function, payload) -> {},
            (function, payload) -> {
              throw new AssertionError("nothing to poll here");
            },
            MappingObserver.NONE,
            (namespace, name) -> {
              if (apiServerDown.get()) {
                throw new IllegalStateException("the API server timed out");
              }
              return Map.of("accessKeyId", "AKID", "secretAccessKey", "s3cret");
            },
            "eu-west-1",
            time,
            time.sleeper());
    MappingConfig queue =
        new MappingConfig(
            "team-a",
            "q",
            "uid-q",
            1,
            "report",
            true,
            10,
            Duration.ZERO,
            -1,
            false,
            false,
            null,
            2,
            RecordFilter.of(List.of()),
            new MappingConfig.Sqs(
                "http://127.0.0.1:9/1/orders", "eu-west-1", "http://127.0.0.1:9", "creds"),
            null);
    try {
      withSecrets.apply(queue, FUNCTION_TIMEOUT);
      apiServerDown.set(true);

      withSecrets.apply(queue, FUNCTION_TIMEOUT); // the next reconcile
      assertThat(withSecrets.isRunning("team-a/q")).isTrue();
      MappingConfig changed =
          new MappingConfig(
              "team-a",
              "q",
              "uid-q",
              2,
              "report",
              true,
              20,
              Duration.ZERO,
              -1,
              false,
              false,
              null,
              2,
              RecordFilter.of(List.of()),
              queue.source(),
              null);
      assertThatThrownBy(() -> withSecrets.apply(changed, FUNCTION_TIMEOUT))
          .as("a new generation needs its Secret")
          .hasMessageContaining("timed out");
    } finally {
      withSecrets.close();
    }
  }
}
