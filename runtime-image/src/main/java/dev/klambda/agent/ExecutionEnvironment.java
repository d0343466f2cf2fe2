package dev.klambda.agent;

import dev.klambda.agent.Invocation.Answer;
import dev.klambda.agent.InvokeResult.Outcome;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Lambda's execution-environment lifecycle. Init: extensions, then the runtime process, until its
 * first {@code /next} (bounded by the init timeout). Invoke: one at a time, the event handed to the
 * runtime's waiting {@code /next}, bounded by the function timeout; a timeout or a crash resets the
 * environment (runtime stopped, Init again). Shutdown: in-flight work finishes, the runtime stops,
 * extensions get SHUTDOWN and 2 s.
 *
 * <p>A warm invocation holds no thread: {@link #invoke} and {@link #next} return futures, the
 * event goes out on the thread that received the invocation and the answer on the thread that
 * received the runtime's response (the HTTP servers' dispatchers). Whatever waits (a busy
 * environment, an Init still running, stopping a runtime) runs on a virtual thread.
 */
final class ExecutionEnvironment {
  static final int MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
  private static final Duration RUNTIME_STOP_GRACE = Duration.ofMillis(500);
  private static final Duration EXTENSIONS_SHUTDOWN_GRACE = Duration.ofSeconds(2);
  /** How long the first Init waits for the function's container to come up. */
  private static final Duration LAUNCHER_READY_LIMIT = Duration.ofSeconds(30);
  /** For work that waits, never on a server's dispatcher thread. */
  private static final Executor WAITING = task -> Thread.ofVirtual().start(task);

  /** The caller may retry elsewhere: this environment takes no (more) work. */
  static final class Unavailable extends Exception {
    Unavailable(String message) {
      super(message, null, false, false);
    }
  }

  /** A runtime answered for an invocation that is not the one in progress. */
  static final class InvalidRequestId extends Exception {
    InvalidRequestId(String id) {
      super("Invalid request ID: " + id, null, false, false);
    }
  }

  /** One (re-)initialisation; {@code done} completes with its duration in nanoseconds. */
  private static final class Init {
    /** From when the environment's processes can be started (its container is up). */
    volatile long startNanos = System.nanoTime();
    final CompletableFuture<Long> done = new CompletableFuture<>();
    boolean reported;
  }

  /** Readiness as the gateway and the Pod's probe see it. */
  enum Readiness { STARTING, READY, FAILED, STOPPING }

  private final AgentConfig config;
  private final LogSink logs;
  private final ProcessStarter processes;
  private final Extensions extensions;
  private final Semaphore permit = new Semaphore(1, true);
  private final ReentrantLock lock = new ReentrantLock();

  // guarded by lock
  private Init init;
  private int runtimeEpoch;
  private ChildProcess runtime;
  private CompletableFuture<Invocation> waiter;
  private Invocation pending;
  private Invocation current;
  private boolean shuttingDown;

  ExecutionEnvironment(AgentConfig config, LogSink logs, ProcessStarter processes) {
    this.config = config;
    this.logs = logs;
    this.processes = processes;
    this.extensions = new Extensions(config, logs, processes);
  }

  Extensions extensions() {
    return extensions;
  }

  /** Starts the first Init: extensions, then the runtime. */
  void start() {
    restart(true);
  }

  // ---- the runtime's side (Runtime API) ----

  /**
   * {@code GET /runtime/invocation/next}: the first call completes Init. The future completes with
   * the next event (at once if one is pending), or is cancelled when the runtime is reset or asks
   * again.
   */
  CompletableFuture<Invocation> next() {
    CompletableFuture<Invocation> next;
    CompletableFuture<Invocation> replaced = null;
    CompletableFuture<Long> initEnds = null;
    long initNanos = 0;
    lock.lock();
    try {
      if (!init.done.isDone()) {
        initEnds = init.done;
        initNanos = System.nanoTime() - init.startNanos;
      }
      if (pending != null) {
        current = pending;
        pending = null;
        current.deliveredNanos = System.nanoTime();
        next = CompletableFuture.completedFuture(current);
      } else {
        replaced = waiter;
        next = waiter = new CompletableFuture<>();
      }
    } finally {
      lock.unlock();
    }
    // completed outside the lock: their dependents answer HTTP exchanges
    if (replaced != null) {
      replaced.cancel(false);
    }
    if (initEnds != null) {
      initEnds.complete(initNanos);
    }
    return next;
  }

  /** {@code POST /runtime/invocation/{id}/response} or {@code /error}. */
  void answer(String requestId, Answer answer) throws InvalidRequestId {
    Invocation invocation;
    lock.lock();
    try {
      if (current == null || !current.requestId().equals(requestId)) {
        throw new InvalidRequestId(requestId);
      }
      invocation = current;
      current = null;
    } finally {
      lock.unlock();
    }
    invocation.answer.complete(answer);
  }

  /** {@code POST /runtime/init/error}: Init fails with the runtime's error. */
  void initError(String errorType, String errorJson) {
    Init failed;
    lock.lock();
    try {
      if (init.done.isDone()) {
        throw new IllegalStateException("Init is over");
      }
      failed = init;
    } finally {
      lock.unlock();
    }
    failInit(failed, InitFailure.reported(errorType, errorJson));
  }

  // ---- the gateway's side (invoke endpoint) ----

  Readiness readiness(long waitMillis) {
    CompletableFuture<Long> done;
    lock.lock();
    try {
      if (shuttingDown) {
        return Readiness.STOPPING;
      }
      done = init.done;
    } finally {
      lock.unlock();
    }
    try {
      done.get(waitMillis, TimeUnit.MILLISECONDS);
      return Readiness.READY;
    } catch (ExecutionException e) {
      return Readiness.FAILED;
    } catch (TimeoutException | InterruptedException e) {
      return Readiness.STARTING;
    }
  }

  /** The error object of a failed Init, or null. */
  String initErrorJson() {
    CompletableFuture<Long> done = currentInit().done;
    try {
      done.getNow(0L);
      return null;
    } catch (Exception e) {
      return e.getCause() instanceof InitFailure f ? f.errorJson() : null;
    }
  }

  /**
   * Runs {@code request} once the environment is free (one invocation at a time); fails with
   * {@link Unavailable} when it cannot take it.
   */
  CompletableFuture<InvokeResult> invoke(Invocation.Request request) {
    if (permit.tryAcquire()) {
      return invokeHolding(request);
    }
    long waitLimit = config.timeout().plus(config.initTimeout()).plusSeconds(5).toMillis();
    return CompletableFuture.runAsync(() -> {
      try {
        if (!permit.tryAcquire(waitLimit, TimeUnit.MILLISECONDS)) {
          throw new CompletionException(new Unavailable("environment busy"));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CompletionException(new Unavailable("agent stopping"));
      }
    }, WAITING).thenCompose(acquired -> invokeHolding(request));
  }

  /** {@link #invoke} with the permit taken; releases it when the environment is free again. */
  private CompletableFuture<InvokeResult> invokeHolding(Invocation.Request request) {
    CompletableFuture<InvokeResult> result;
    try {
      result = admit(request);
    } catch (Unavailable e) {
      permit.release();
      return CompletableFuture.failedFuture(e);
    }
    return result.handle((done, failure) -> {
      if (failure != null) {
        permit.release();
        throw failure instanceof CompletionException c ? c : new CompletionException(failure);
      }
      return done;
    }).thenCompose(this::release);
  }

  private CompletableFuture<InvokeResult> admit(Invocation.Request request) throws Unavailable {
    if (isShuttingDown()) {
      throw new Unavailable("environment shutting down");
    }
    if (!processes.usable()) {
      throw new Unavailable("the function's container is gone");
    }
    Init init = currentInit();
    if (init.done.isDone()) {
      return afterInit(init, request);
    }
    // not on the thread that ends Init: that is the runtime's first /next
    return init.done.handleAsync((ended, failed) -> init, WAITING)
        .thenCompose(ended -> afterInit(ended, request));
  }

  private CompletableFuture<InvokeResult> afterInit(Init init, Invocation.Request request) {
    if (init.done.isCompletedExceptionally()) {
      return CompletableFuture.completedFuture(initFailed(request, (InitFailure) init.done.exceptionNow()));
    }
    return run(request, takeInitReport(init, init.done.resultNow()));
  }

  /**
   * Frees the environment for the next invocation: at once; after the reset that a timeout or a
   * crash needs (stopping a runtime waits, so on a virtual thread); or, with extensions, when
   * every extension is back in {@code /event/next}.
   */
  private CompletableFuture<InvokeResult> release(InvokeResult result) {
    if (result.outcome() == Outcome.TIMEOUT || result.outcome() == Outcome.CRASH) {
      return CompletableFuture.supplyAsync(() -> {
        try {
          reset();
        } finally {
          permit.release();
        }
        return result;
      }, WAITING);
    }
    if (result.outcome() != Outcome.INIT_ERROR && config.hasExtensions()) {
      long idleBy = System.nanoTime() + config.timeout().toNanos();
      WAITING.execute(() -> {
        extensions.awaitIdle(idleBy);
        permit.release();
      });
    } else {
      permit.release();
    }
    return CompletableFuture.completedFuture(result);
  }

  private CompletableFuture<InvokeResult> run(Invocation.Request request, long initNanos) {
    long submitted = System.nanoTime();
    long deadlineMs = System.currentTimeMillis() + config.timeout().toMillis();
    Invocation invocation = new Invocation(request, deadlineMs);
    logs.startCapture();
    logs.line("START RequestId: " + request.requestId() + " Version: " + config.functionVersion());
    CompletableFuture<Invocation> runtimeWaiting;
    lock.lock();
    try {
      runtimeWaiting = waiter;
      waiter = null;
      if (runtimeWaiting != null) {
        current = invocation;
        invocation.deliveredNanos = System.nanoTime();
      } else {
        pending = invocation;
      }
    } finally {
      lock.unlock();
    }
    if (runtimeWaiting != null) {
      runtimeWaiting.complete(invocation); // the event goes out to the runtime on this thread
    }
    extensions.invoke(request.requestId(), deadlineMs, request.traceId());
    return invocation.answer
        .completeOnTimeout(new Invocation.Timeout(), config.timeout().toNanos(), TimeUnit.NANOSECONDS)
        .thenApply(answer -> ended(invocation, answer, submitted, initNanos));
  }

  private InvokeResult ended(Invocation invocation, Answer answer, long submitted, long initNanos) {
    long end = System.nanoTime();
    lock.lock();
    ChildProcess process;
    try {
      if (pending == invocation) {
        pending = null;
      }
      if (current == invocation) {
        current = null;
      }
      process = runtime;
    } finally {
      lock.unlock();
    }
    long started = invocation.deliveredNanos != 0 ? invocation.deliveredNanos : submitted;
    long durationMicros = (end - started) / 1000;
    long maxMemoryMB = 0;
    if (process != null) {
      process.drainOutput();
      maxMemoryMB = process.peakMemoryMB();
    }
    if (answer instanceof Invocation.Exit x && x.exit().oomKilled()) {
      maxMemoryMB = config.memoryMB(); // killed for memory: it used all there was, as Lambda reports
    }
    return finish(invocation.request, answer, durationMicros, initNanos / 1000, maxMemoryMB);
  }

  private InvokeResult finish(Invocation.Request request, Answer answer, long durationMicros,
      long initMicros, long maxMemoryMB) {
    String id = request.requestId();
    String timeoutText = String.format(Locale.ROOT, "%.2f", config.timeout().toMillis() / 1000.0);
    InvokeResult partial = switch (answer) {
      case Invocation.Response r -> result(Outcome.SUCCESS, r.body(), null);
      case Invocation.Error e -> result(Outcome.ERROR, e.body(), e.errorType());
      case Invocation.Timeout t -> result(Outcome.TIMEOUT, Json.error("Sandbox.Timedout",
          "RequestId: " + id + " Error: Task timed out after " + timeoutText + " seconds")
          .getBytes(StandardCharsets.UTF_8), "Sandbox.Timedout");
      case Invocation.Exit x -> result(Outcome.CRASH, Json.error("Runtime.ExitError",
          "RequestId: " + id + " Error: Runtime exited with error: " + ChildProcess.describeExit(x.exit().code()))
          .getBytes(StandardCharsets.UTF_8), "Runtime.ExitError");
    };
    InvokeResult result = new InvokeResult(partial.outcome(), partial.payload(), partial.errorType(),
        durationMicros, initMicros, maxMemoryMB, null);
    logs.line("END RequestId: " + id);
    logs.line(report(id, result));
    String tail = logs.endCapture();
    return new InvokeResult(result.outcome(), result.payload(), result.errorType(),
        durationMicros, initMicros, maxMemoryMB, request.logTail() ? tail : null);
  }

  private static InvokeResult result(Outcome outcome, byte[] payload, String errorType) {
    return new InvokeResult(outcome, payload, errorType, 0, 0, 0, null);
  }

  private String report(String requestId, InvokeResult result) {
    StringBuilder line = new StringBuilder(String.format(Locale.ROOT,
        "REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: %d MB\tMax Memory Used: %d MB",
        requestId, result.durationMicros() / 1000.0, result.billedMillis(), config.memoryMB(),
        result.maxMemoryMB()));
    if (result.initDurationMicros() > 0) {
      line.append(String.format(Locale.ROOT, "\tInit Duration: %.2f ms", result.initDurationMicros() / 1000.0));
    }
    switch (result.outcome()) {
      case TIMEOUT -> line.append("\tStatus: timeout");
      case CRASH -> line.append("\tStatus: error\tError Type: Runtime.ExitError");
      default -> { }
    }
    return line.toString();
  }

  private InvokeResult initFailed(Invocation.Request request, InitFailure failure) {
    logs.startCapture();
    logs.line("START RequestId: " + request.requestId() + " Version: " + config.functionVersion());
    logs.line("END RequestId: " + request.requestId());
    logs.line("REPORT RequestId: " + request.requestId() + "\tStatus: error\tError Type: " + failure.errorType());
    String tail = logs.endCapture();
    return new InvokeResult(Outcome.INIT_ERROR, failure.errorJson().getBytes(StandardCharsets.UTF_8),
        failure.errorType(), 0, 0, 0, request.logTail() ? tail : null);
  }

  /** Shutdown: take no more work, let the in-flight invocation finish, stop runtime and extensions. */
  void shutdown() {
    lock.lock();
    try {
      shuttingDown = true;
    } finally {
      lock.unlock();
    }
    try {
      permit.tryAcquire(config.timeout().plus(config.initTimeout()).plusSeconds(1).toMillis(),
          TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    // after the in-flight invocation's REPORT, not inside its log tail; the reason is the one
    // extensions get in their SHUTDOWN event
    logs.line("SHUTDOWN Reason: spindown");
    // SIGTERM first, then forget the runtime: answering its pending /next first would make
    // runtime clients log a failed /next as an error on every scale-down
    ChildProcess process = currentRuntime();
    if (process != null) {
      process.stop(RUNTIME_STOP_GRACE);
    }
    detachRuntime();
    extensions.shutdown(EXTENSIONS_SHUTDOWN_GRACE);
  }

  // ---- Init and reset ----

  /** Stops the runtime (if any) and starts a new Init; the next invocation waits for it. */
  private void reset() {
    ChildProcess old = detachRuntime();
    if (old != null) {
      old.stop(Duration.ZERO);
    }
    restart(false);
  }

  private void restart(boolean withExtensions) {
    Init next = new Init();
    int epoch;
    lock.lock();
    try {
      if (shuttingDown) {
        return;
      }
      init = next;
      epoch = ++runtimeEpoch;
    } finally {
      lock.unlock();
    }
    Thread.ofVirtual().name("init").start(() -> runInit(next, epoch, withExtensions));
  }

  private void runInit(Init init, int epoch, boolean withExtensions) {
    try {
      // the container's start is not the function's Init (Lambda's Init Duration leaves the
      // sandbox's creation out too); the gateway bounds it with its start allowance
      processes.awaitReady(LAUNCHER_READY_LIMIT);
    } catch (IOException e) {
      failInit(init, new InitFailure("Runtime.Unknown", e.getMessage()));
      return;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    init.startNanos = System.nanoTime();
    long deadline = init.startNanos + config.initTimeout().toNanos();
    try {
      Map<String, String> env = RuntimeCommand.environment(config);
      if (withExtensions) {
        extensions.launch(env);
        extensions.awaitInitialised(deadline);
      }
      List<String> command = RuntimeCommand.of(config);
      ChildProcess process = processes.start("runtime", command, env, config.taskRoot());
      if (!attachRuntime(process, epoch)) {
        process.stop(Duration.ZERO);
        return;
      }
      process.exit().thenAccept(code -> onRuntimeExit(epoch, code));
    } catch (InitFailure failure) {
      failInit(init, failure);
      return;
    } catch (IOException e) {
      failInit(init, new InitFailure("Runtime.InvalidEntrypoint", e.getMessage()));
      return;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    try {
      init.done.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      failInit(init, new InitFailure("Sandbox.Timedout", String.format(Locale.ROOT,
          "Init timed out after %.2f seconds", config.initTimeout().toMillis() / 1000.0)));
    } catch (InterruptedException | ExecutionException e) {
      // failed already, and reported where it failed
    }
  }

  private void failInit(Init failed, InitFailure failure) {
    if (!failed.done.completeExceptionally(failure)) {
      return;
    }
    logs.line(String.format(Locale.ROOT,
        "INIT_REPORT Init Duration: %.2f ms\tPhase: init\tStatus: error\tError Type: %s",
        (System.nanoTime() - failed.startNanos) / 1e6, failure.errorType()));
    ChildProcess process = null;
    lock.lock();
    try {
      if (init == failed) {
        process = detachRuntime();
      }
    } finally {
      lock.unlock();
    }
    if (process != null) {
      ChildProcess stopping = process;
      Thread.ofVirtual().start(() -> stopping.stop(RUNTIME_STOP_GRACE));
    }
  }

  private void onRuntimeExit(int epoch, ChildProcess.Exit exit) {
    int code = exit.code();
    Invocation interrupted;
    Init failedInit = null;
    boolean idleCrash = false;
    lock.lock();
    try {
      if (epoch != runtimeEpoch || shuttingDown || runtime == null) {
        return;
      }
      interrupted = current != null ? current : pending;
      if (!init.done.isDone()) {
        failedInit = init;
      } else if (init.done.isCompletedExceptionally()) {
        return;
      } else if (interrupted == null) {
        idleCrash = true;
      }
    } finally {
      lock.unlock();
    }
    if (failedInit != null) {
      failInit(failedInit, new InitFailure("Runtime.ExitError",
          "Runtime exited with error: " + ChildProcess.describeExit(code)));
    } else if (interrupted != null) {
      interrupted.answer.complete(new Invocation.Exit(exit));
    } else if (idleCrash) {
      logs.line("Runtime exited while idle (" + ChildProcess.describeExit(code) + "): re-initialising");
      reset();
    }
  }

  private boolean attachRuntime(ChildProcess process, int epoch) {
    lock.lock();
    try {
      if (epoch != runtimeEpoch || shuttingDown) {
        return false;
      }
      runtime = process;
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** Forgets the current runtime (its exit is no longer news) and cancels its {@code /next}. */
  private ChildProcess detachRuntime() {
    lock.lock();
    try {
      ChildProcess process = runtime;
      runtime = null;
      runtimeEpoch++;
      if (waiter != null) {
        waiter.cancel(false);
        waiter = null;
      }
      return process;
    } finally {
      lock.unlock();
    }
  }

  private long takeInitReport(Init init, long initNanos) {
    lock.lock();
    try {
      if (init.reported) {
        return 0;
      }
      init.reported = true;
      return initNanos;
    } finally {
      lock.unlock();
    }
  }

  private ChildProcess currentRuntime() {
    lock.lock();
    try {
      return runtime;
    } finally {
      lock.unlock();
    }
  }

  private Init currentInit() {
    lock.lock();
    try {
      return init;
    } finally {
      lock.unlock();
    }
  }

  private boolean isShuttingDown() {
    lock.lock();
    try {
      return shuttingDown;
    } finally {
      lock.unlock();
    }
  }
}
