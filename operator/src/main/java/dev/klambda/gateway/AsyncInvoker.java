package dev.klambda.gateway;

import dev.klambda.environments.InvocationRequest;
import dev.klambda.environments.InvocationResult;
import java.time.Duration;
import java.util.concurrent.Phaser;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Event (asynchronous) invocations, as Lambda runs them: accepted at once, run in the background,
 * retried twice after a function error (after one, then two retry delays), and kept trying while
 * throttled until the maximum event age. Events live in memory: a klambda that stops waits for
 * the running ones (up to a grace period) and reports the ones it drops.
 */
public final class AsyncInvoker {
  private static final int RETRIES = 2;
  private static final Duration THROTTLE_BACKOFF = Duration.ofSeconds(1);

  private final FunctionRegistry registry;
  private final InvocationObserver observer;
  private final Duration retryDelay;
  private final Duration maxEventAge;
  private final Duration queueTimeout;
  private final Phaser inFlight = new Phaser(1);

  /**
   * @param retryDelay wait before the first retry (Lambda: 1 minute); the second waits twice as long
   */
  public AsyncInvoker(FunctionRegistry registry, InvocationObserver observer, Duration retryDelay,
      Duration maxEventAge, Duration queueTimeout) {
    this.registry = registry;
    this.observer = observer;
    this.retryDelay = retryDelay;
    this.maxEventAge = maxEventAge;
    this.queueTimeout = queueTimeout;
  }

  /** Accepts an event for the function {@code key} ({@code namespace/name}). */
  public void submit(String key, InvocationRequest request) {
    long received = System.nanoTime();
    observer.event(key, InvocationObserver.EventOutcome.RECEIVED, 0);
    inFlight.register();
    Thread.ofVirtual().name("event-" + request.requestId()).start(() -> {
      try {
        run(key, request, received);
      } catch (InterruptedException e) {
        drop(key, request, received, "klambda stopped before it completed");
      } finally {
        inFlight.arriveAndDeregister();
      }
    });
  }

  private void run(String key, InvocationRequest request, long received) throws InterruptedException {
    long expires = received + maxEventAge.toNanos();
    int failures = 0;
    while (System.nanoTime() < expires) {
      try {
        InvocationResult result = registry.invoke(key, request, System.nanoTime() + queueTimeout.toNanos());
        if (!result.functionError()) {
          return;
        }
        if (failures == RETRIES) {
          drop(key, request, received, "function error " + result.errorType() + " after " + (RETRIES + 1) + " attempts");
          return;
        }
        failures++;
        Thread.sleep(retryDelay.multipliedBy(failures));
        observer.event(key, InvocationObserver.EventOutcome.RETRIED, System.nanoTime() - received);
      } catch (ServiceException e) {
        if (e.status() != 429) {
          drop(key, request, received, e.type() + ": " + e.getMessage());
          return;
        }
        Thread.sleep(THROTTLE_BACKOFF);
      }
    }
    drop(key, request, received, "older than the maximum event age " + maxEventAge);
  }

  private void drop(String key, InvocationRequest request, long received, String why) {
    observer.event(key, InvocationObserver.EventOutcome.DROPPED, System.nanoTime() - received);
    System.err.println("klambda: event " + request.requestId() + " for " + key
        + " dropped: " + why);
  }

  /** Events accepted and not yet completed. */
  public int inProgress() {
    return Math.max(0, inFlight.getRegisteredParties() - 1);
  }

  /** Waits up to {@code grace} for the events in progress; true when all completed. */
  public boolean awaitQuiet(Duration grace) {
    try {
      inFlight.awaitAdvanceInterruptibly(inFlight.arrive(), grace.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException | InterruptedException e) {
      return false;
    }
  }
}
