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
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

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
 * the router closes. An idle environment may be lent to another gateway replica, which invokes it
 * directly until it gives it back; lent, it counts against the limit as a busy one does.
 */
public final class FunctionRouter {
  /** Attempts on environments that turn out to be unavailable before the request fails. */
  private static final int MAX_ATTEMPTS = 3;

  /** How long a request waits for lent environments to be recalled before it starts one. */
  private static final long RECALL_LIMIT_MILLIS = 200;

  /** Asks the replicas holding loans of a function for an idle one back ({@link Loans}). */
  @FunctionalInterface
  interface Recall {
    Recall NONE = (function, borrowers) -> CompletableFuture.completedFuture(null);

    /**
     * Completes once each borrower answered, what they handed back taken back ({@link #takeBack}).
     */
    CompletableFuture<Void> recall(FunctionConfig function, Set<String> borrowers);
  }

  private record Idle(Environment environment, long sinceNanos) {}

  /** How many environments are in each state right now. */
  public record Counts(int starting, int idle, int busy, int lent) {}

  private record Lent(Environment environment, String borrower) {}

  private final FunctionConfig function;
  private final EnvironmentManager manager;
  private final EnvironmentInvoker invoker;
  private final InvocationObserver observer;
  private final Recall recall;
  private final int limit;
  private final boolean queueAtLimit;
  private final ReentrantLock lock = new ReentrantLock();
  // guarded by lock
  private final Deque<Idle> idle = new ArrayDeque<>();
  private final Set<Environment> busy = new HashSet<>();
  private final Deque<CompletableFuture<Environment>> waiters = new ArrayDeque<>();
  private final Map<String, Lent> lent = new LinkedHashMap<>();
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
    this(function, manager, invoker, observer, defaultLimit, queueAtLimitByDefault, Recall.NONE);
  }

  /**
   * @param recall how lent environments are asked back
   */
  FunctionRouter(
      FunctionConfig function,
      EnvironmentManager manager,
      EnvironmentInvoker invoker,
      InvocationObserver observer,
      int defaultLimit,
      boolean queueAtLimitByDefault,
      Recall recall) {
    this.function = function;
    this.manager = manager;
    this.invoker = invoker;
    this.observer = observer;
    this.recall = recall;
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
    return invoke(request, queueDeadlineNanos, queueAtLimit, true);
  }

  /**
   * {@link #invoke} for a replica that had no loan of the function idle: its own load, for which
   * what it borrowed is not asked back (that would only pass an environment to and fro).
   */
  InvocationResult invokeForwarded(InvocationRequest request, long queueDeadlineNanos)
      throws ServiceException, InterruptedException {
    return invoke(request, queueDeadlineNanos, queueAtLimit, false);
  }

  /** Runs one invocation that waits at the limit whatever the function says: an Event's. */
  InvocationResult invokeQueued(InvocationRequest request, long queueDeadlineNanos)
      throws ServiceException, InterruptedException {
    return invoke(request, queueDeadlineNanos, true, true);
  }

  /**
   * @param mayRecall whether lent environments are asked back before one is started
   */
  private InvocationResult invoke(
      InvocationRequest request, long queueDeadlineNanos, boolean queue, boolean mayRecall)
      throws ServiceException, InterruptedException {
    long queued = System.nanoTime();
    for (int attempt = 1; ; attempt++) {
      Environment environment = acquireOrThrottle(queueDeadlineNanos, queue, mayRecall);
      long queueWait = System.nanoTime() - queued;
      boolean reusable = false;
      try {
        InvocationResult result = invoker.invoke(environment, request);
        reusable = result.environmentReusable();
        return observer.observed(function, result, queueWait);
      } catch (EnvironmentUnavailableException e) {
        if (attempt == MAX_ATTEMPTS) {
          throw ServiceException.service(
              "No execution environment took the invocation: " + e.getMessage());
        }
      } catch (IOException e) {
        throw ServiceException.environmentLost(e);
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
      return new Counts(starting, idle.size(), busy.size(), lent.size());
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
      lent.clear(); // the new owner adopts them with the rest; their borrowers forget them
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
    return WarmInvocation.run(
        invoker,
        observer,
        function,
        environment,
        request,
        reusable -> {
          if (!reusable || !offerAgain(environment)) {
            // stopping it calls the environment manager: not on the thread that completed the
            // answer
            Thread.ofVirtual().start(() -> release(environment, reusable));
          }
        });
  }

  /**
   * Lends the most recently used idle environment to the replica {@code borrower}, which invokes it
   * directly until it gives it back ({@link #takeBack}). The borrowers together hold at most what
   * is left of the limit after one replica's share of {@code replicas}, so that this replica's own
   * callers are not throttled while others hold environments idle. Null when nothing can be lent.
   */
  Environment lend(String borrower, int replicas) {
    lock.lock();
    try {
      if (closed || lent.size() >= limit - Math.ceilDiv(limit, Math.max(1, replicas))) {
        return null;
      }
      Environment environment = takeIdle();
      if (environment != null) {
        busy.remove(environment);
        lent.put(environment.id(), new Lent(environment, borrower));
      }
      return environment;
    } finally {
      lock.unlock();
    }
  }

  /**
   * A lent environment comes back, idle for {@code idleNanos} already (so the idle timeout counts
   * from its last invocation), or to be stopped when it is not {@code reusable}.
   *
   * @return false when no environment of that id was lent by this router
   */
  boolean takeBack(String environmentId, boolean reusable, long idleNanos) {
    Environment environment;
    lock.lock();
    try {
      Lent back = lent.remove(environmentId);
      if (back == null) {
        return false;
      }
      environment = back.environment();
      busy.add(environment);
    } finally {
      lock.unlock();
    }
    release(environment, reusable, System.nanoTime() - Math.max(0, idleNanos));
    return true;
  }

  /**
   * Takes back what replicas that no longer serve had borrowed (one that died cannot give back):
   * idle again here. One that was busy at its borrower's death finishes that invocation first, as
   * its agent runs one at a time.
   *
   * @return the ids of the environments taken back
   */
  List<String> reclaim(Predicate<String> serves) {
    List<Environment> back = new ArrayList<>();
    lock.lock();
    try {
      for (Iterator<Lent> it = lent.values().iterator(); it.hasNext(); ) {
        Lent loan = it.next();
        if (!serves.test(loan.borrower())) {
          it.remove();
          busy.add(loan.environment());
          back.add(loan.environment());
        }
      }
    } finally {
      lock.unlock();
    }
    long now = System.nanoTime();
    back.forEach(environment -> release(environment, true, now));
    return back.stream().map(Environment::id).toList();
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

  private Environment acquireOrThrottle(long deadlineNanos, boolean queue, boolean mayRecall)
      throws ServiceException, InterruptedException {
    try {
      return acquire(deadlineNanos, queue, mayRecall);
    } catch (ServiceException e) {
      if (e.status() == 429) {
        observer.throttled(function);
      }
      throw e;
    }
  }

  /**
   * With no idle environment here and some lent, asks their borrowers for an idle one back first: a
   * round trip between replicas costs less than a cold start or a 429. Null when none came back in
   * time (or another request took it).
   */
  private Environment recallLent() throws InterruptedException {
    Set<String> borrowers = new HashSet<>();
    lock.lock();
    try {
      if (closed || !idle.isEmpty()) {
        return null;
      }
      lent.values().forEach(loan -> borrowers.add(loan.borrower()));
    } finally {
      lock.unlock();
    }
    if (borrowers.isEmpty()) {
      return null;
    }
    try {
      recall.recall(function, borrowers).get(RECALL_LIMIT_MILLIS, TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      // a borrower gone or slow: start one (or queue) as if nothing were lent
    }
    lock.lock();
    try {
      return closed ? null : takeIdle();
    } finally {
      lock.unlock();
    }
  }

  private Environment acquire(long deadlineNanos, boolean queue, boolean mayRecall)
      throws ServiceException, InterruptedException {
    Environment recalled = mayRecall ? recallLent() : null;
    if (recalled != null) {
      return recalled;
    }
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
    release(environment, reusable, System.nanoTime());
  }

  /**
   * @param idleSinceNanos when it last finished an invocation
   */
  private void release(Environment environment, boolean reusable, long idleSinceNanos) {
    lock.lock();
    try {
      busy.remove(environment);
      if (reusable && !closed && !environment.isTerminated()) {
        offer(environment, idleSinceNanos);
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
    offer(environment, System.nanoTime());
  }

  private void offer(Environment environment, long idleSinceNanos) {
    CompletableFuture<Environment> waiter = waiters.pollFirst();
    if (waiter != null) {
      busy.add(environment);
      waiter.complete(environment);
    } else {
      // most recently used first, as the sweep stops from the other end: one given back after a
      // while at its borrower goes behind those used since
      Deque<Idle> newer = new ArrayDeque<>();
      while (!idle.isEmpty() && idle.peekFirst().sinceNanos() - idleSinceNanos > 0) {
        newer.push(idle.pollFirst());
      }
      idle.addFirst(new Idle(environment, idleSinceNanos));
      while (!newer.isEmpty()) {
        idle.addFirst(newer.pop());
      }
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
    return starting + idle.size() + busy.size() + lent.size();
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
