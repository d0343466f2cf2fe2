package dev.klambda.routing;

import dev.klambda.destinations.RecordSenders;
import dev.klambda.environments.InvocationRequest;
import dev.klambda.environments.InvocationResult;
import dev.klambda.function.EventInvokeConfig;
import dev.klambda.routing.EventDestinations.Condition;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Event (asynchronous) invocations, as Lambda runs them: accepted at once, run in the background,
 * retried twice after a function error (after one, then two retry delays), and kept trying while
 * throttled until the maximum event age; then the invocation record goes to the function's
 * onSuccess or onFailure destination ({@link EventDestinations}). Each event is kept in the {@link
 * EventJournal} (a copy at another gateway replica) before it is accepted and forgotten there once
 * done with, its record sent included. A replica that leaves hands the events waiting for a retry
 * to a replica that stays and waits for those running (up to a grace period); one that dies leaves
 * its events to their copies.
 */
public final class AsyncInvoker {
  private static final Logger LOG = LoggerFactory.getLogger(AsyncInvoker.class);
  private static final Duration THROTTLE_BACKOFF = Duration.ofSeconds(1);

  private final FunctionRegistry registry;
  private final InvocationObserver observer;
  private final EventJournal journal;
  private final Duration retryDelay;
  private final Duration maxEventAge;
  private final Duration queueTimeout;
  private final EventDestinations destinations;

  /** Events accepted and not yet done with here. */
  private final AtomicInteger inFlight = new AtomicInteger();

  /** Events waiting between attempts, to be woken when the replica leaves. */
  private final Set<Thread> waiting = ConcurrentHashMap.newKeySet();

  /** Every event's thread, for {@link #abandon()}. */
  private final Set<Thread> running = ConcurrentHashMap.newKeySet();

  private volatile boolean handingOver;
  private volatile boolean abandoned;

  /**
   * @param retryDelay wait before the first retry (Lambda: 1 minute); the second waits twice as
   *     long
   * @param maxEventAge the longest an event is kept, whatever its function says
   * @param senders the clients of SQS and Kafka destinations
   */
  public AsyncInvoker(
      FunctionRegistry registry,
      InvocationObserver observer,
      EventJournal journal,
      Duration retryDelay,
      Duration maxEventAge,
      Duration queueTimeout,
      RecordSenders senders) {
    this(
        registry,
        observer,
        journal,
        retryDelay,
        maxEventAge,
        queueTimeout,
        senders,
        EventDestinations.FIRST_RETRY);
  }

  /**
   * @param destinationRetry the pause before a failed send of a record is tried again (then
   *     doubling)
   */
  AsyncInvoker(
      FunctionRegistry registry,
      InvocationObserver observer,
      EventJournal journal,
      Duration retryDelay,
      Duration maxEventAge,
      Duration queueTimeout,
      RecordSenders senders,
      Duration destinationRetry) {
    this.registry = registry;
    this.observer = observer;
    this.journal = journal;
    this.retryDelay = retryDelay;
    this.maxEventAge = maxEventAge;
    this.queueTimeout = queueTimeout;
    this.destinations =
        new EventDestinations(registry, senders, this::submit, observer, destinationRetry);
  }

  /**
   * Accepts an event for the function {@code key} ({@code namespace/name}) once it is kept.
   *
   * @throws ServiceException when the event could not be kept: it is not accepted
   */
  public void submit(String key, InvocationRequest request) throws ServiceException {
    journal.keep(key, request);
    long received = System.nanoTime();
    observer.event(key, InvocationObserver.EventOutcome.RECEIVED, 0);
    inFlight.incrementAndGet();
    Thread.ofVirtual()
        .name("event-" + request.requestId())
        .start(
            () -> {
              running.add(Thread.currentThread());
              try {
                run(key, request, received);
                journal.done(request.requestId());
              } catch (InterruptedException e) {
                leave(key, request, received);
              } finally {
                running.remove(Thread.currentThread());
                inFlight.decrementAndGet();
              }
            });
  }

  /** The event stops here before it is done: to the function's owner, or to its copy. */
  private void leave(String key, InvocationRequest request, long received) {
    if (abandoned) {
      return;
    }
    if (handingOver && registry.handOverEvent(key, request)) {
      journal.done(request.requestId());
    } else if (journal.copied(request.requestId())) {
      LOG.warn(
          "function {}: event {} not completed here; the replica that keeps its copy runs it",
          key,
          request.requestId());
    } else {
      drop(key, request, received, "klambda stopped before it completed");
      journal.done(request.requestId());
    }
  }

  private void run(String key, InvocationRequest request, long received)
      throws InterruptedException {
    EventInvokeConfig config = config(key);
    Duration maxAge =
        config.maximumEventAge().compareTo(maxEventAge) < 0
            ? config.maximumEventAge()
            : maxEventAge;
    long expires = received + maxAge.toNanos();
    int failures = 0;
    InvocationResult last = null;
    while (System.nanoTime() < expires) {
      try {
        try (InvocationResult answered =
            registry.invokeQueued(key, request, System.nanoTime() + queueTimeout.toNanos())) {
          last = answered.copiedToHeap(); // its record may be sent after further attempts
        }
        if (!last.functionError()) {
          destinations.send(key, request, Condition.SUCCESS, failures + 1, last);
          return;
        }
        if (failures == config.maximumRetryAttempts()) {
          drop(
              key,
              request,
              received,
              "function error "
                  + last.errorType()
                  + " after "
                  + (config.maximumRetryAttempts() + 1)
                  + " attempt(s)");
          destinations.send(key, request, Condition.RETRIES_EXHAUSTED, failures + 1, last);
          return;
        }
        failures++;
        pause(retryDelay.multipliedBy(failures));
        observer.event(key, InvocationObserver.EventOutcome.RETRIED, System.nanoTime() - received);
      } catch (ServiceException e) {
        if (e.status() != 429) {
          // klambda gives up on it (no environment could run it): to onFailure as RetriesExhausted,
          // the condition Lambda has for giving up (a function that is gone names no destination)
          drop(key, request, received, e.type() + ": " + e.getMessage());
          destinations.send(key, request, Condition.RETRIES_EXHAUSTED, failures, last);
          return;
        }
        pause(THROTTLE_BACKOFF);
      }
    }
    drop(key, request, received, "older than the maximum event age " + maxAge);
    destinations.send(key, request, Condition.EVENT_AGE_EXCEEDED, failures, last);
  }

  /**
   * The function's asyncInvokeConfig; Lambda's defaults for a function not (or no longer) served.
   */
  private EventInvokeConfig config(String key) {
    try {
      EventInvokeConfig config = registry.find(key).eventInvokeConfig();
      return config != null ? config : EventInvokeConfig.LAMBDA;
    } catch (ServiceException notServed) {
      return EventInvokeConfig.LAMBDA;
    }
  }

  private void pause(Duration duration) throws InterruptedException {
    waiting.add(Thread.currentThread());
    try {
      if (handingOver) {
        throw new InterruptedException("handing over");
      }
      Thread.sleep(duration);
    } finally {
      waiting.remove(Thread.currentThread());
    }
  }

  /**
   * This replica leaves: events waiting for their next attempt go to the replica that routes their
   * function now, as new Event invocations with the same request id (Lambda's delivery is at least
   * once); events in an attempt finish it first.
   */
  public void handOver() {
    handingOver = true;
    waiting.forEach(Thread::interrupt);
  }

  /**
   * Stops every event at once, done or not, as a killed process would: their copies are left to run
   * elsewhere. For tests of a replica that dies.
   */
  public void abandon() {
    abandoned = true;
    running.forEach(Thread::interrupt);
  }

  private void drop(String key, InvocationRequest request, long received, String why) {
    observer.event(key, InvocationObserver.EventOutcome.DROPPED, System.nanoTime() - received);
    LOG.warn("function {}: event {} dropped: {}", key, request.requestId(), why);
  }

  /** Events accepted and not yet completed. */
  public int inProgress() {
    return inFlight.get();
  }

  /** Waits up to {@code grace} for the events in progress; true when all completed. */
  public boolean awaitQuiet(Duration grace) {
    long deadline = System.nanoTime() + grace.toNanos();
    while (inFlight.get() > 0) {
      if (System.nanoTime() >= deadline) {
        return false;
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return true;
  }
}
