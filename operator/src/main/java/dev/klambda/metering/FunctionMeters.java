package dev.klambda.metering;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/**
 * One function's meters, registered once and then only incremented: the invocation path does no
 * lookups. Names follow the Prometheus conventions klambda's users write dashboards against.
 */
final class FunctionMeters {
  /** Histogram buckets from 1 ms to 900 s, Lambda's longest timeout. */
  static final Duration[] BUCKETS = {
    Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10),
    Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
    Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5),
    Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofSeconds(120),
    Duration.ofSeconds(300), Duration.ofSeconds(600), Duration.ofSeconds(900)
  };

  final Counter success;
  final Counter error;
  final Counter timeout;
  final Counter throttled;
  final Counter forwarded;
  final Timer duration;
  final Timer initDuration;
  final Timer queueWait;
  final Counter billedSeconds;
  final Counter gbSeconds;
  final Counter estimatedCost;
  final Counter coldStarts;
  final Counter eventsReceived;
  final Counter eventsRetried;
  final Counter eventsDropped;
  final Timer eventAge;
  private final Counter onSuccessSent;
  private final Counter onSuccessFailed;
  private final Counter onFailureSent;
  private final Counter onFailureFailed;

  FunctionMeters(MeterRegistry registry, String namespace, String function) {
    Tags tags = Tags.of("namespace", namespace, "function", function);
    success = invocations(registry, tags, "success");
    error = invocations(registry, tags, "error");
    timeout = invocations(registry, tags, "timeout");
    throttled = invocations(registry, tags, "throttled");
    forwarded =
        Counter.builder("klambda.forwarded.invocations")
            .tags(tags)
            .description(
                "Invocations passed to the gateway replica that routes their function (two passes"
                    + " through the gateway tier)")
            .register(registry);
    duration =
        histogram(
            registry,
            tags,
            "klambda.invocation.duration",
            "From the event handed to the runtime to its answer");
    initDuration = histogram(registry, tags, "klambda.init.duration", "Init of cold starts");
    queueWait = histogram(registry, tags, "klambda.queue.wait", "Time waiting for an environment");
    billedSeconds =
        Counter.builder("klambda.billed.duration")
            .baseUnit("seconds")
            .tags(tags)
            .description("Billed duration")
            .register(registry);
    gbSeconds =
        Counter.builder("klambda.gb.seconds")
            .tags(tags)
            .description("Compute: memory GB x billed seconds")
            .register(registry);
    estimatedCost =
        Counter.builder("klambda.estimated.cost")
            .tags(tags)
            .description("Estimated cost at the configured prices (USD by default)")
            .register(registry);
    coldStarts =
        Counter.builder("klambda.cold.starts")
            .tags(tags)
            .description("Invocations that waited for an Init")
            .register(registry);
    eventsReceived = events(registry, tags, "received");
    eventsRetried = events(registry, tags, "retried");
    eventsDropped = events(registry, tags, "dropped");
    eventAge =
        histogram(
            registry,
            tags,
            "klambda.async.event.age",
            "Age of an Event when it is retried or dropped");
    onSuccessSent = records(registry, tags, "onSuccess", "sent");
    onSuccessFailed = records(registry, tags, "onSuccess", "failed");
    onFailureSent = records(registry, tags, "onFailure", "sent");
    onFailureFailed = records(registry, tags, "onFailure", "failed");
  }

  /**
   * Events' invocation records sent to (or not) the {@code onSuccess} or {@code onFailure}
   * destination.
   */
  Counter invocationRecords(String destination, boolean sent) {
    return "onSuccess".equals(destination)
        ? (sent ? onSuccessSent : onSuccessFailed)
        : (sent ? onFailureSent : onFailureFailed);
  }

  private static Counter invocations(MeterRegistry registry, Tags tags, String result) {
    return Counter.builder("klambda.invocations")
        .tags(tags)
        .tag("result", result)
        .description("Invocations by result: success, error, timeout, throttled")
        .register(registry);
  }

  private static Counter events(MeterRegistry registry, Tags tags, String outcome) {
    return Counter.builder("klambda.async.events")
        .tags(tags)
        .tag("outcome", outcome)
        .description("Event invocations: received, retried, dropped")
        .register(registry);
  }

  private static Counter records(
      MeterRegistry registry, Tags tags, String destination, String result) {
    return Counter.builder("klambda.async.destination.records")
        .tags(tags)
        .tag("destination", destination)
        .tag("result", result)
        .description("Events' invocation records sent to their destinations, or failed")
        .register(registry);
  }

  private static Timer histogram(
      MeterRegistry registry, Tags tags, String name, String description) {
    return Timer.builder(name)
        .tags(tags)
        .description(description)
        .serviceLevelObjectives(BUCKETS)
        .register(registry);
  }
}
