package dev.klambda.routing;

import dev.klambda.environments.Environment;
import dev.klambda.environments.EnvironmentInvoker;
import dev.klambda.environments.EnvironmentManager;
import dev.klambda.environments.EnvironmentUnavailableException;
import dev.klambda.environments.InvocationRequest;
import dev.klambda.environments.InvocationResult;
import dev.klambda.function.FunctionConfig;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Routes one function's invocations to its environments. An environment is idle, busy (exactly one
 * invocation) or starting; a request takes the most recently idle one, or waits in a FIFO queue
 * while the router starts environments (one per waiting request, up to the concurrency limit); an
 * environment that frees up goes to the head of the queue. At the concurrency limit a request for
 * which no environment is starting gets 429 at once, as Lambda throttles; a function that queues at
 * its limit ({@code queueAtLimit}) lets it wait instead, and a request still waiting at its queue
 * deadline gets 429. Waiting for a cold start is never throttling (the start is bounded by the
 * function's Init timeout and the start allowance). Only idle environments are ever stopped: after
 * the idle timeout (down to the provisioned count, which is how a function scales to zero) or when
 * the router closes.
 */
public final class FunctionRouter {
  /** Attempts on environments that turn out to be unavailable before the request fails. */
  private static final int MAX_ATTEMPTS = 3;

  private record Idle(Environment environment, long sinceNanos) {}

  /** How many environments are in each state right now. */
  public record Counts(int starting, int idle, int busy) {}

  private final FunctionConfig function;
  private final EnvironmentManager manager;
  private final EnvironmentInvoker invoker;
  private final InvocationObserver observer;
  private final int limit;
  private final boolean queueAtLimit;
  private final ReentrantLock lock = new ReentrantLock();
  // guarded by lock
  private final Deque<Idle> idle = new ArrayDeque<>();
  private final Set<Environment> busy = new HashSet<>();
  private final Deque<CompletableFuture<Environment>> waiters = new ArrayDeque<>();
  private int starting;
  private boolean closed;

  /** Closed by handing the function to another replica: environments are left running for it. */
  private boolean released;

  /** A router that throttles at the limit as Lambda does, unless the function queues. */
  FunctionRouter(
      FunctionConfig function,
      EnvironmentManager manager,
      EnvironmentInvoker invoker,
      InvocationObserver observer,
      int defaultLimit) {
    this(function, manager, invoker, observer, defaultLimit, false);
  }

  /**
   * @param defaultLimit the concurrency limit of a function without reserved concurrency
   * @param queueAtLimitByDefault whether a function that does not say queues at its limit
   */
  FunctionRouter(
      FunctionConfig function,
      EnvironmentManager manager,
      EnvironmentInvoker invoker,
      InvocationObserver observer,
      int defaultLimit,
      boolean queueAtLimitByDefault) {
    this.function = function;
    this.manager = manager;
    this.invoker = invoker;
    this.observer = observer;
    this.limit =
        function.reservedConcurrency() != null ? function.reservedConcurrency() : defaultLimit;
    this.queueAtLimit =
        function.queueAtLimit() != null ? function.queueAtLimit() : queueAtLimitByDefault;
  }

  public FunctionConfig function() {
    return function;
  }

  /**
   * Runs one synchronous invocation: at the limit, 429 at once unless the function queues at its
   * limit; else it waits for an environment until {@code queueDeadlineNanos}.
   */
  InvocationResult invoke(InvocationRequest request, long queueDeadlineNanos)
      throws ServiceException, InterruptedException {
    return invoke(request, queueDeadlineNanos, queueAtLimit);
  }

  /** Runs one invocation that waits at the limit whatever the function says: an Event's. */
  InvocationResult invokeQueued(InvocationRequest request, long queueDeadlineNanos)
      throws ServiceException, InterruptedException {
    return invoke(request, queueDeadlineNanos, true);
  }

  private InvocationResult invoke(InvocationRequest request, long queueDeadlineNanos, boolean queue)
      throws ServiceException, InterruptedException {
    long queued = System.nanoTime();
    for (int attempt = 1; ; attempt++) {
      Environment environment = acquireOrThrottle(queueDeadlineNanos, queue);
      long queueWait = System.nanoTime() - queued;
      boolean reusable = false;
      try {
        InvocationResult result = invoker.invoke(environment, request);
        reusable = result.environmentReusable();
        return observed(result, queueWait);
      } catch (EnvironmentUnavailableException e) {
        if (attempt == MAX_ATTEMPTS) {
          throw ServiceException.service(
              "No execution environment took the invocation: " + e.getMessage());
        }
      } catch (IOException e) {
        throw ServiceException.service(
            "The execution environment was lost during the invocation: " + e);
      } finally {
        release(environment, reusable);
      }
    }
  }

  /** Starts environments up to the provisioned concurrency. */
  void ensureProvisioned() {
    lock.lock();
    try {
      while (!closed && total() < function.provisionedConcurrency()) {
        startEnvironment(true);
      }
    } finally {
      lock.unlock();
    }
  }

  /** Stops environments idle for the idle timeout, keeping the provisioned ones. */
  void stopIdle(long nowNanos) {
    List<Environment> expired = new ArrayList<>();
    lock.lock();
    try {
      idle.removeIf(i -> i.environment().isTerminated());
      long timeout = function.idleTimeout().toNanos();
      while (total() > function.provisionedConcurrency()
          && !idle.isEmpty()
          && nowNanos - idle.peekLast().sinceNanos() >= timeout) {
        expired.add(idle.pollLast().environment());
      }
    } finally {
      lock.unlock();
    }
    expired.forEach(manager::stop);
    ensureProvisioned();
  }

  public Counts counts() {
    lock.lock();
    try {
      return new Counts(starting, idle.size(), busy.size());
    } finally {
      lock.unlock();
    }
  }

  /** Takes over environments that already run this function (after an operator restart). */
  void adopt(List<Environment> environments) {
    lock.lock();
    try {
      for (Environment environment : environments) {
        environment.terminated().thenRun(() -> terminated(environment));
        idle.addFirst(new Idle(environment, System.nanoTime()));
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Takes no more work: waiting requests are told to look the function up again (a new generation
   * or nothing), idle environments stop now and busy ones when their invocation ends.
   */
  CompletableFuture<Void> close() {
    List<Environment> toStop = new ArrayList<>();
    lock.lock();
    try {
      closed = true;
      waiters.forEach(w -> w.completeExceptionally(ServiceException.retired(function.key())));
      waiters.clear();
      idle.forEach(i -> toStop.add(i.environment()));
      idle.clear();
    } finally {
      lock.unlock();
    }
    return CompletableFuture.allOf(
        toStop.stream().map(manager::stop).toArray(CompletableFuture[]::new));
  }

  /**
   * Hands the function to the replica that owns it now: takes no more work (waiting requests look
   * the function up again and go to the new owner), and forgets its environments without stopping
   * them, for the new owner to adopt. A busy one finishes its invocation here first.
   */
  void release() {
    lock.lock();
    try {
      closed = true;
      released = true;
      waiters.forEach(w -> w.completeExceptionally(ServiceException.retired(function.key())));
      waiters.clear();
      idle.clear();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Runs the invocation at once on an idle environment, waiting for nothing: null when none is idle
   * (then {@link #invoke} queues it). Completes with the result; with an {@link
   * EnvironmentUnavailableException} when that environment did not take it (invoke it again); or
   * with an {@link IOException} when the environment was lost during the invocation.
   */
  public CompletableFuture<InvocationResult> tryInvokeNow(InvocationRequest request) {
    Environment environment;
    lock.lock();
    try {
      environment = closed ? null : takeIdle();
    } finally {
      lock.unlock();
    }
    if (environment == null) {
      return null;
    }
    return invoker
        .invokeAsync(environment, request)
        .whenComplete(
            (result, failed) -> {
              try {
                if (result != null) {
                  observed(result, 0);
                }
              } finally {
                boolean reusable = result != null && result.environmentReusable();
                if (!reusable || !offerAgain(environment)) {
                  // stopping it calls the environment manager: not on the thread that completed the
                  // answer
                  Thread.ofVirtual().start(() -> release(environment, reusable));
                }
              }
            });
  }

  /** Tells the observer; a result it fails on is closed, as its caller never gets it. */
  private InvocationResult observed(InvocationResult result, long queueWaitNanos) {
    try {
      observer.completed(function, result, queueWaitNanos);
      return result;
    } catch (RuntimeException e) {
      result.close();
      throw e;
    }
  }

  /** The most recently used idle environment that is still there, now busy; null when none. */
  private Environment takeIdle() {
    Idle free;
    while ((free = idle.pollFirst()) != null) {
      if (!free.environment().isTerminated()) {
        busy.add(free.environment());
        return free.environment();
      }
    }
    return null;
  }

  /** Back to a waiting request or the idle pool, when the router still takes work; else false. */
  private boolean offerAgain(Environment environment) {
    lock.lock();
    try {
      if (closed || environment.isTerminated()) {
        return false;
      }
      busy.remove(environment);
      offer(environment);
      return true;
    } finally {
      lock.unlock();
    }
  }

  private Environment acquireOrThrottle(long deadlineNanos, boolean queue)
      throws ServiceException, InterruptedException {
    try {
      return acquire(deadlineNanos, queue);
    } catch (ServiceException e) {
      if (e.status() == 429) {
        observer.throttled(function);
      }
      throw e;
    }
  }

  private Environment acquire(long deadlineNanos, boolean queue)
      throws ServiceException, InterruptedException {
    CompletableFuture<Environment> waiter = new CompletableFuture<>();
    lock.lock();
    try {
      if (closed) {
        throw ServiceException.retired(function.key());
      }
      Environment free = takeIdle();
      if (free != null) {
        return free;
      }
      if (limit == 0) {
        throw throttled();
      }
      waiters.addLast(waiter);
      startWhileNeeded();
      if (!queue && !waiter.isDone() && !startingFor(waiter)) {
        // at the limit with nothing starting for it (a start that completed at once has served
        // it already): Lambda answers 429 at once, so clients back off
        waiters.remove(waiter);
        throw throttled();
      }
    } finally {
      lock.unlock();
    }
    long deadline = deadlineNanos;
    while (true) {
      try {
        return waiter.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (TimeoutException | InterruptedException e) {
        lock.lock();
        try {
          if (e instanceof TimeoutException && startingFor(waiter)) {
            // its environment is on its way: the start completes or fails this waiter
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
            continue;
          }
          if (waiters.remove(waiter)) {
            if (e instanceof InterruptedException interrupted) {
              throw interrupted;
            }
            throw throttled();
          }
        } finally {
          lock.unlock();
        }
        // handed an environment (or an error) just as the wait ended: take it
        return resolved(waiter);
      } catch (ExecutionException e) {
        throw asServiceException(e.getCause());
      }
    }
  }

  /**
   * Whether an environment now starting will serve this waiter: the first {@code starting} waiters
   * get the environments starting (each start is for one waiting request).
   */
  private boolean startingFor(CompletableFuture<Environment> waiter) {
    int position = 0;
    for (CompletableFuture<Environment> queued : waiters) {
      if (queued == waiter) {
        return position < starting;
      }
      position++;
    }
    return false;
  }

  private ServiceException throttled() {
    return ServiceException.throttled(function.reservedConcurrency() != null);
  }

  private static Environment resolved(CompletableFuture<Environment> waiter)
      throws ServiceException {
    try {
      return waiter.join();
    } catch (java.util.concurrent.CompletionException e) {
      throw asServiceException(e.getCause());
    }
  }

  private void release(Environment environment, boolean reusable) {
    lock.lock();
    try {
      busy.remove(environment);
      if (reusable && !closed && !environment.isTerminated()) {
        offer(environment);
        return;
      }
      if (released) {
        return; // the new owner's now: it reuses or stops it
      }
      manager.stop(environment);
      startWhileNeeded();
    } finally {
      lock.unlock();
    }
    ensureProvisioned();
  }

  /** A free environment goes to the longest-waiting request, else to the idle pool. */
  private void offer(Environment environment) {
    CompletableFuture<Environment> waiter = waiters.pollFirst();
    if (waiter != null) {
      busy.add(environment);
      waiter.complete(environment);
    } else {
      idle.addFirst(new Idle(environment, System.nanoTime()));
    }
  }

  /** One environment starting per waiting request, within the limit. */
  private void startWhileNeeded() {
    while (!closed && starting < waiters.size() && total() < limit) {
      startEnvironment(false);
    }
  }

  private void startEnvironment(boolean provisioned) {
    starting++;
    manager.start(function, provisioned).whenComplete(this::started);
  }

  private void started(Environment environment, Throwable failure) {
    boolean stop = false;
    lock.lock();
    try {
      starting--;
      if (failure != null) {
        CompletableFuture<Environment> waiter = waiters.pollFirst();
        if (waiter != null) {
          waiter.completeExceptionally(
              ServiceException.service(
                  "Could not start an execution environment for "
                      + function.key()
                      + ": "
                      + rootMessage(failure)));
        }
        return;
      }
      if (closed) {
        stop = true;
      } else {
        environment.terminated().thenRun(() -> terminated(environment));
        offer(environment);
      }
    } finally {
      lock.unlock();
    }
    if (stop) {
      manager.stop(environment);
    }
  }

  /** An environment died on its own (crash, eviction): forget it if idle, keep the floor. */
  private void terminated(Environment environment) {
    lock.lock();
    try {
      idle.removeIf(i -> i.environment() == environment);
    } finally {
      lock.unlock();
    }
    ensureProvisioned();
  }

  private int total() {
    return starting + idle.size() + busy.size();
  }

  private static ServiceException asServiceException(Throwable failure) {
    return failure instanceof ServiceException s
        ? s
        : ServiceException.service(rootMessage(failure));
  }

  private static String rootMessage(Throwable failure) {
    Throwable root = failure;
    while (root.getCause() != null) {
      root = root.getCause();
    }
    return root.getMessage() != null ? root.getMessage() : root.toString();
  }
}
