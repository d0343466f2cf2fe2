package dev.klambda.eventsources;

import dev.klambda.destinations.KafkaConnection;
import dev.klambda.destinations.RecordSender;
import dev.klambda.destinations.SecretSource;
import dev.klambda.destinations.SqsClients;
import dev.klambda.environments.InvocationRequest;
import dev.klambda.eventsources.kafka.KafkaConsumers;
import dev.klambda.eventsources.schedule.SchedulePoller;
import dev.klambda.eventsources.sqs.SqsPoller;
import dev.klambda.function.Destination;
import dev.klambda.function.Violation;
import dev.klambda.routing.AsyncInvoker;
import dev.klambda.routing.FunctionRegistry;
import dev.klambda.routing.ServiceException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * Runs one poller per enabled mapping, in this process: a new generation replaces the poller, a
 * disabled or removed mapping stops it. Sources keep their position while stopped (an SQS queue
 * keeps its messages, a Kafka group its committed offsets), so re-enabling resumes where it
 * stopped. Credentials come from the mapping's Secret, read again on every apply: a rotated Secret
 * restarts the poller with the new credentials (the position is kept, as above). An SQS queue's
 * visibility timeout is checked against the function's timeout, as Lambda does, whenever the
 * mapping, its Secret or the function's timeout changed (and until the queue could be read).
 */
public final class EventSourceManager implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EventSourceManager.class);

  /** A mapping whose poller cannot start: a configuration error, or something to wait for. */
  public static final class CannotStartException extends Exception {
    private final boolean retry;

    CannotStartException(String message, boolean retry) {
      super(message);
      this.retry = retry;
    }

    /** True when trying again later may succeed (a Secret not created yet). */
    public boolean retry() {
      return retry;
    }
  }

  /**
   * A poller, what it was started with (the mapping, the data of its Secret: null for none), and
   * for an SQS source the last check of its queue's visibility timeout (null for other sources).
   */
  private record Running(
      MappingConfig mapping,
      Map<String, String> secret,
      VisibilityCheck visibility,
      Poller poller) {}

  /**
   * A check of an SQS queue's visibility timeout against a function timeout: passed, or the queue
   * could not be read ({@code unread} says why), which the next apply tries again.
   */
  private record VisibilityCheck(Duration functionTimeout, String unread) {}

  private final EventSink sink;
  private final BatchInvoker invoker;
  private final MappingTally observer;
  private final SecretSource secrets;
  private final String region;
  private final Clock clock;
  private final SchedulePoller.Sleeper sleeper;
  private final Map<String, Running> running = new HashMap<>();

  /**
   * Set while this process must not poll (closed, or another replica leads): apply starts nothing.
   */
  private boolean suspended;

  /**
   * Pollers that invoke through the gateway tier's Invoke API (the operator's): batches
   * synchronously, schedules and function destinations as Events.
   */
  public static EventSourceManager through(
      GatewayInvoker gateway, String region, MappingObserver observer, SecretSource secrets) {
    return new EventSourceManager(
        gateway,
        gateway,
        observer,
        secrets,
        region,
        Clock.systemUTC(),
        SchedulePoller.Sleeper.REAL);
  }

  /**
   * Pollers that invoke through the routers of this process (local mode): batches synchronously
   * (waiting up to the queue timeout for an environment), schedules and destinations as Events.
   */
  public static EventSourceManager through(
      FunctionRegistry registry,
      AsyncInvoker async,
      Duration queueTimeout,
      String region,
      MappingObserver observer,
      SecretSource secrets) {
    return new EventSourceManager(
        (key, payload) -> {
          try {
            async.submit(key, request(payload));
          } catch (ServiceException e) {
            LOG.error("function {}: an event was not accepted: {}", key, e.getMessage());
          }
        },
        (key, payload) ->
            registry.invoke(key, request(payload), System.nanoTime() + queueTimeout.toNanos()),
        observer,
        secrets,
        region,
        Clock.systemUTC(),
        SchedulePoller.Sleeper.REAL);
  }

  private static InvocationRequest request(byte[] payload) {
    return new InvocationRequest(java.util.UUID.randomUUID().toString(), payload, null, false);
  }

  EventSourceManager(
      EventSink sink,
      BatchInvoker invoker,
      MappingObserver observer,
      SecretSource secrets,
      String region,
      Clock clock,
      SchedulePoller.Sleeper sleeper) {
    this.sink = sink;
    this.invoker = invoker;
    this.observer = new MappingTally(observer);
    this.secrets = secrets;
    this.region = region;
    this.clock = clock;
    this.sleeper = sleeper;
  }

  /**
   * Starts, replaces or stops the mapping's poller to match its configuration and its Secret.
   *
   * @param functionTimeout the timeout of the mapping's function, for an SQS queue's check
   * @throws CannotStartException the Secret is missing (retry), holds the wrong keys, or the SQS
   *     queue's visibility timeout is shorter than the function's timeout; the mapping's poller is
   *     stopped then
   */
  public void apply(MappingConfig mapping, Duration functionTimeout) throws CannotStartException {
    Map<String, String> secret = null;
    VisibilityCheck visibility = null;
    if (mapping.enabled()) {
      // read outside the lock: a slow API server or queue must not hold up every other mapping
      try {
        secret = SourceCredentials.read(secrets, mapping);
        if (mapping.source() instanceof MappingConfig.Sqs sqs) {
          visibility = checkVisibility(mapping, sqs, secret, functionTimeout);
        }
      } catch (CannotStartException e) {
        remove(mapping.key());
        throw e;
      } catch (RuntimeException apiServerUnreachable) {
        if (runsGeneration(mapping)) {
          return; // the running poller keeps its credentials; the next reconcile reads again
        }
        throw apiServerUnreachable;
      }
    }
    apply(mapping, secret, visibility);
  }

  /**
   * Reads the queue's visibility timeout and judges it ({@link MappingValidator#queueVisibility}),
   * unless the running poller's check already passed for this generation, Secret and function
   * timeout. A queue that cannot be read now does not make the mapping Invalid: the poller starts
   * (or keeps running) as for a queue that is down, and the next apply reads it again.
   */
  private VisibilityCheck checkVisibility(
      MappingConfig mapping,
      MappingConfig.Sqs sqs,
      Map<String, String> secret,
      Duration functionTimeout)
      throws CannotStartException {
    VisibilityCheck passed = passedCheck(mapping, secret, functionTimeout);
    if (passed != null) {
      return passed;
    }
    int visibilityTimeout;
    try (SqsClient client = sqsClient(sqs, secret)) {
      visibilityTimeout = SqsClients.visibilityTimeoutSeconds(client, sqs.queueUrl());
    } catch (SdkException | NumberFormatException e) {
      if (visibilityUnchecked(mapping.key())
          == null) { // when it starts failing, not on every reconcile
        LOG.warn(
            "mapping {}: the queue's VisibilityTimeout could not be read, checked again on the next apply: {}",
            mapping.key(),
            e.getMessage());
      }
      return new VisibilityCheck(functionTimeout, e.getMessage());
    }
    Optional<Violation> violation =
        MappingValidator.queueVisibility(visibilityTimeout, functionTimeout);
    if (violation.isPresent()) {
      throw new CannotStartException(violation.get().toString(), false);
    }
    return new VisibilityCheck(functionTimeout, null);
  }

  private synchronized VisibilityCheck passedCheck(
      MappingConfig mapping, Map<String, String> secret, Duration functionTimeout) {
    Running current = running.get(mapping.key());
    boolean passed =
        current != null
            && current.mapping().sameGeneration(mapping)
            && Objects.equals(current.secret(), secret)
            && current.visibility() != null
            && current.visibility().unread() == null
            && current.visibility().functionTimeout().equals(functionTimeout);
    return passed ? current.visibility() : null;
  }

  private synchronized boolean runsGeneration(MappingConfig mapping) {
    Running current = running.get(mapping.key());
    return current != null && current.mapping().sameGeneration(mapping);
  }

  private synchronized void apply(
      MappingConfig mapping, Map<String, String> secret, VisibilityCheck visibility)
      throws CannotStartException {
    if (!mapping.enabled() || suspended) {
      remove(mapping.key());
      return;
    }
    Running current = running.get(mapping.key());
    if (current != null
        && current.mapping().sameGeneration(mapping)
        && Objects.equals(current.secret(), secret)) {
      // the same poller; only the check may be newer
      running.put(
          mapping.key(), new Running(current.mapping(), secret, visibility, current.poller()));
      return;
    }
    remove(mapping.key());
    running.put(mapping.key(), new Running(mapping, secret, visibility, start(mapping, secret)));
  }

  private Poller start(MappingConfig mapping, Map<String, String> secret)
      throws CannotStartException {
    return switch (mapping.source()) {
      case MappingConfig.Schedule schedule ->
          new SchedulePoller(mapping, schedule, sink, region, clock, sleeper);
      case MappingConfig.Sqs sqs -> {
        SqsClient client = sqsClient(sqs, secret);
        RecordSender destination = destination(mapping, Map.of());
        yield new SqsPoller(mapping, sqs, client, invoker, destination, region, observer);
      }
      case MappingConfig.Kafka kafka -> {
        Map<String, String> auth = SourceCredentials.kafka(secret, kafka.authSecret());
        RecordSender destination = destination(mapping, auth);
        yield KafkaConsumers.start(mapping, kafka, auth, invoker, destination, region, observer);
      }
    };
  }

  private SqsClient sqsClient(MappingConfig.Sqs sqs, Map<String, String> secret)
      throws CannotStartException {
    var credentials =
        secret == null ? null : SourceCredentials.aws(secret, sqs.credentialsSecret());
    return SqsClients.of(regionOf(sqs.region()), sqs.endpoint(), credentials);
  }

  private String regionOf(String configured) {
    return configured != null ? configured : region;
  }

  /** The on-failure destination; a topic is on the Kafka source's cluster, with its credentials. */
  private RecordSender destination(MappingConfig mapping, Map<String, String> kafkaAuth) {
    return switch (mapping.onFailure()) {
      case null -> RecordSender.dropping(mapping.key());
      case Destination.ToQueue queue ->
          RecordSender.queue(
              SqsClients.of(regionOf(queue.region()), queue.endpoint(), null), queue.queueUrl());
      case Destination.ToFunction function ->
          record ->
              sink.submitEvent(
                  mapping.namespace() + "/" + function.name(),
                  record.getBytes(StandardCharsets.UTF_8));
      case Destination.ToTopic topic ->
          RecordSender.topic(
              KafkaConnection.producer(
                  ((MappingConfig.Kafka) mapping.source()).bootstrapServers(),
                  kafkaAuth,
                  "klambda-" + mapping.key() + "-on-failure"),
              topic.topic());
    };
  }

  /**
   * What the mapping's pollers did (for its status): what was seeded, plus what this process
   * counted.
   */
  public Map<MappingObserver.Event, Long> counts(String key) {
    return observer.counts(key);
  }

  /** The counts an earlier operator process reported, where this one has none yet. */
  public void seedCounts(String key, Map<MappingObserver.Event, Long> earlier) {
    observer.seed(key, earlier);
  }

  /**
   * The mapping was deleted: its poller stops, and one made again under its name counts from zero.
   */
  public synchronized void delete(String key) {
    remove(key);
    observer.forget(key);
  }

  /** The poller's last batch result, for the mapping's status; null when it has none. */
  public synchronized String lastProcessingResult(String key) {
    Running r = running.get(key);
    return r == null ? null : r.poller().lastProcessingResult();
  }

  /**
   * Why the SQS queue's visibility timeout is not checked yet (it could not be read); null when it
   * was, or there is nothing to check.
   */
  public synchronized String visibilityUnchecked(String key) {
    Running r = running.get(key);
    return r == null || r.visibility() == null ? null : r.visibility().unread();
  }

  public synchronized void remove(String key) {
    Running stopped = running.remove(key);
    if (stopped != null) {
      closeQuietly(key, stopped.poller());
    }
  }

  public synchronized boolean isRunning(String key) {
    return running.containsKey(key);
  }

  /**
   * Stops every poller and starts none until {@link #resume}: another replica owns the mappings now
   * (a lost Lease), or this process is shutting down.
   */
  public synchronized void suspend() {
    suspended = true;
    running.forEach((key, r) -> closeQuietly(key, r.poller()));
    running.clear();
  }

  /** Pollers start again (this replica leads); the reconciler applies each mapping anew. */
  public synchronized void resume() {
    suspended = false;
  }

  @Override
  public synchronized void close() {
    suspend();
  }

  private static void closeQuietly(String key, Poller poller) {
    try {
      poller.close();
    } catch (RuntimeException e) {
      LOG.warn("mapping {}: stopping its poller failed", key, e);
    }
  }
}
