package dev.klambda.eventsources;

import dev.klambda.environments.InvocationRequest;
import dev.klambda.gateway.AsyncInvoker;
import dev.klambda.gateway.FunctionRegistry;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;

/**
 * Runs one poller per enabled mapping, in this process: a new generation replaces the poller, a
 * disabled or removed mapping stops it (an SQS queue keeps its messages, so re-enabling resumes
 * where it stopped). Schedules and SQS run here; Kafka pollers and credentials from Secrets are
 * not built yet, and a mapping that needs them is refused with a message saying so.
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
  private final BatchInvoker invoker;
  private final MappingObserver observer;
  private final String region;
  private final Clock clock;
  private final SchedulePoller.Sleeper sleeper;
  private final Map<String, Running> running = new HashMap<>();

  /**
   * Pollers that invoke through the gateway's routers: batches synchronously (waiting up to the
   * queue timeout for an environment), schedules and function destinations as Events.
   */
  public static EventSourceManager through(FunctionRegistry registry, AsyncInvoker async,
      java.time.Duration queueTimeout, String region, MappingObserver observer) {
    return new EventSourceManager(
        (key, payload) -> async.submit(key, request(payload)),
        (key, payload) -> registry.invoke(key, request(payload), System.nanoTime() + queueTimeout.toNanos()),
        observer, region, Clock.systemUTC(), SchedulePoller.Sleeper.REAL);
  }

  private static InvocationRequest request(byte[] payload) {
    return new InvocationRequest(java.util.UUID.randomUUID().toString(), payload, null, false);
  }

  EventSourceManager(EventSink sink, BatchInvoker invoker, MappingObserver observer, String region, Clock clock,
      SchedulePoller.Sleeper sleeper) {
    this.sink = sink;
    this.invoker = invoker;
    this.observer = observer;
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
      case MappingConfig.Sqs sqs -> {
        if (sqs.credentialsSecret() != null) {
          throw new UnsupportedSourceException("spec.source.sqs.credentialsSecretRef: credentials from a Secret "
              + "are not available in this klambda build yet; the AWS default credential chain applies without it");
        }
        yield new SqsPoller(mapping, sqs, SqsClients.of(sqs.region() != null ? sqs.region() : region, sqs.endpoint()),
            invoker, destination(mapping), region, observer);
      }
      case MappingConfig.Kafka kafka -> throw new UnsupportedSourceException(
          "spec.source.kafka: Kafka sources are not available in this klambda build yet");
    };
    running.put(mapping.key(), new Running(mapping, poller));
  }

  private FailureDestination destination(MappingConfig mapping) throws UnsupportedSourceException {
    return switch (mapping.onFailure()) {
      case null -> FailureDestination.NONE;
      case MappingConfig.ToQueue queue -> FailureDestination.queue(
          SqsClients.of(queue.region() != null ? queue.region() : region, queue.endpoint()), queue.queueUrl());
      case MappingConfig.ToFunction function -> FailureDestination.function(sink, mapping.namespace() + "/" + function.name());
      case MappingConfig.ToTopic topic -> throw new UnsupportedSourceException(
          "spec.destinationConfig.onFailure.kafka: Kafka destinations are not available in this klambda build yet");
    };
  }

  /** The poller's last batch result, for the mapping's status; null when it has none. */
  public synchronized String lastProcessingResult(String key) {
    Running r = running.get(key);
    return r != null && r.poller() instanceof SqsPoller sqs ? sqs.lastProcessingResult() : null;
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
