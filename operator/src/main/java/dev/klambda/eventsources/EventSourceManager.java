package dev.klambda.eventsources;

import java.time.Clock;
import java.util.HashMap;
import java.util.Map;

/**
 * Runs one poller per enabled mapping, in this process: a new generation replaces the poller, a
 * disabled or removed mapping stops it. Schedules run here; SQS and Kafka pollers are not built
 * yet, and a mapping with such a source is refused with a message saying so.
 */
public final class EventSourceManager implements AutoCloseable {
  /** A mapping this build cannot run. */
  public static final class UnsupportedSourceException extends Exception {
    UnsupportedSourceException(String message) {
      super(message);
    }
  }

  private record Running(MappingConfig mapping, AutoCloseable poller) {}

  private final EventSink sink;
  private final String region;
  private final Clock clock;
  private final SchedulePoller.Sleeper sleeper;
  private final Map<String, Running> running = new HashMap<>();

  public EventSourceManager(EventSink sink, String region) {
    this(sink, region, Clock.systemUTC(), SchedulePoller.Sleeper.REAL);
  }

  EventSourceManager(EventSink sink, String region, Clock clock, SchedulePoller.Sleeper sleeper) {
    this.sink = sink;
    this.region = region;
    this.clock = clock;
    this.sleeper = sleeper;
  }

  /** Starts, replaces or stops the mapping's poller to match its configuration. */
  public synchronized void apply(MappingConfig mapping) throws UnsupportedSourceException {
    Running current = running.get(mapping.key());
    if (current != null && current.mapping().sameGeneration(mapping)) {
      return;
    }
    remove(mapping.key());
    if (!mapping.enabled()) {
      return;
    }
    AutoCloseable poller = switch (mapping.source()) {
      case MappingConfig.Schedule schedule -> new SchedulePoller(mapping, schedule, sink, region, clock, sleeper);
      case MappingConfig.Sqs sqs -> throw new UnsupportedSourceException(
          "spec.source.sqs: SQS sources are not available in this klambda build yet");
      case MappingConfig.Kafka kafka -> throw new UnsupportedSourceException(
          "spec.source.kafka: Kafka sources are not available in this klambda build yet");
    };
    running.put(mapping.key(), new Running(mapping, poller));
  }

  public synchronized void remove(String key) {
    Running stopped = running.remove(key);
    if (stopped != null) {
      closeQuietly(stopped.poller());
    }
  }

  public synchronized boolean isRunning(String key) {
    return running.containsKey(key);
  }

  @Override
  public synchronized void close() {
    running.values().forEach(r -> closeQuietly(r.poller()));
    running.clear();
  }

  private static void closeQuietly(AutoCloseable poller) {
    try {
      poller.close();
    } catch (Exception e) {
      System.err.println("klambda: stopping a poller failed: " + e);
    }
  }
}
