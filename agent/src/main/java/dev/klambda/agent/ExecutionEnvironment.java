package dev.klambda.agent;

import dev.klambda.agent.Invocation.Answer;
import dev.klambda.agent.InvokeResult.Outcome;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
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
 * <p>A warm invocation holds no thread: {@link #invoke} and {@link #next} return futures, the event
 * goes out on the thread that received the invocation and the answer on the thread that received
 * the runtime's response (the HTTP servers' dispatchers). Whatever waits (a busy environment, an
 * Init still running, stopping a runtime) runs on a virtual thread.
 */
final class ExecutionEnvironment {
  static final int MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
  private static final Duration RUNTIME_STOP_GRACE = Duration.ofMillis(500);
  private static final Duration EXTENSIONS_SHUTDOWN_GRACE = Duration.ofSeconds(2);

  /** How long the first Init waits for the function's container to come up. */
  private static final Duration LAUNCHER_READY_LIMIT = Duration.ofSeconds(30);

  /** Lambda's error type for a phase that ran out of time. */
  private static final String TIMED_OUT = "Sandbox.Timedout";

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
  enum Readiness {
    STARTING,
    READY,
    FAILED,
    STOPPING
  }

  private final AgentConfig config;
  private final LogSink logs;
  private final ProcessStarter processes;
  private final Extensions extensions;
  private final Semaphore permit = new Semaphore(1, true);
  private final ReentrantLock lock = new ReentrantLock();
  private final Queue<Settlement> settled = new ConcurrentLinkedQueue<>();

  // guarded by lock
  private Init init;
  private int runtimeEpoch;
  private ChildProcess runtime;
  private CompletableFuture<Invocation> waiter;
  private Invocation pending;
  private Invocation current;

  /** Answered, its Invoke phase open until the runtime asks for the next event. */
  private Invocation closing;

  private boolean shuttingDown;

  /** Set by {@link #start}: the environment's one timer. */
  private volatile DeadlineWatch deadlines;

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
    deadlines = DeadlineWatch.start(this::endOverdue);
    restart(true);
  }

  /**
   * Ends the Invoke phases past their deadline (see {@link DeadlineWatch}); returns the nearest
   * deadline of those left, or now plus the function's timeout when there are none.
   */
  private long endOverdue() {
    long now = System.nanoTime();
    long nearest = now + config.timeout().toNanos();
    List<Invocation> overdue = new ArrayList<>(2);
    lock.lock();
    try {
      for (Invocation live : new Invocation[] {pending, current, closing}) {
        if (live == null) {
          continue;
        }
        if (live.deadlineNanos - now <= 0) {
          overdue.add(live);
        } else if (live.deadlineNanos - nearest < 0) {
          nearest = live.deadlineNanos;
        }
      }
    } finally {
      lock.unlock();
    }
    overdue.forEach(invocation -> endPhase(invocation, Ending.DEADLINE, null));
    return nearest;
  }

  // ---- the runtime's side (Runtime API) ----

  /**
   * {@code GET /runtime/invocation/next}: the first call completes Init; a call after an answer
   * ends that invocation's Invoke phase. The future completes with the next event (at once if one
   * is pending), or is cancelled when the runtime is reset or asks again.
   */
  CompletableFuture<Invocation> next() {
    CompletableFuture<Invocation> next;
    CompletableFuture<Invocation> replaced = null;
    CompletableFuture<Long> initEnds = null;
    Invocation answered;
    Invocation delivered = null;
    long initNanos = 0;
    lock.lock();
    try {
      if (!init.done.isDone()) {
        initEnds = init.done;
        initNanos = System.nanoTime() - init.startNanos;
      }
      answered = closing;
      if (pending != null) {
        delivered = current = pending;
        pending = null;
        next = CompletableFuture.completedFuture(delivered);
      } else {
        replaced = waiter;
        next = waiter = new CompletableFuture<>();
      }
    } finally {
      lock.unlock();
    }
    // the answered invocation's END and REPORT come before the next one's START
    if (answered != null) {
      endPhase(answered, Ending.NEXT, null);
    }
    if (initEnds != null) {
      drainRuntime(); // what Init printed (top-level code) comes before the first START
    }
    if (delivered != null) {
      delivering(delivered);
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

  /**
   * {@code POST /runtime/invocation/{id}/response} or {@code /error}. The caller gets the answer
   * now, unless it asked for the log tail: the tail ends with END and REPORT, so it waits for the
   * end of the phase (as Lambda's {@code LogType: Tail} does).
   */
  void answer(String requestId, Answer answer) throws InvalidRequestId {
    Invocation invocation;
    long answeredNanos = System.nanoTime();
    lock.lock();
    try {
      if (current == null || !current.requestId().equals(requestId)) {
        throw new InvalidRequestId(requestId);
      }
      invocation = current;
      current = null;
      closing = invocation;
      invocation.answer = answer;
      invocation.answeredNanos = answeredNanos;
    } finally {
      lock.unlock();
    }
    if (!config.hasExtensions()) {
      // the next event may wait as pending (it is handed out once this phase has ended); freed
      // before the answer goes out, so the gateway's next invocation finds the environment free
      releasePermit(invocation);
    }
    if (!invocation.request.logTail()) {
      invocation.result.complete(
          finish(
              invocation,
              answer,
              (answeredNanos - invocation.deliveredNanos) / 1000,
              0,
              null,
              true));
    }
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
   * Runs {@code request} once the environment is free (one invocation at a time); fails with {@link
   * Unavailable} when it cannot take it.
   */
  CompletableFuture<InvokeResult> invoke(Invocation.Request request) {
    if (permit.tryAcquire()) {
      return invokeHolding(request);
    }
    long waitLimit = config.timeout().plus(config.initTimeout()).plusSeconds(5).toMillis();
    return CompletableFuture.runAsync(
            () -> {
              try {
                if (!permit.tryAcquire(waitLimit, TimeUnit.MILLISECONDS)) {
                  throw new CompletionException(new Unavailable("environment busy"));
                }
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CompletionException(new Unavailable("agent stopping"));
              }
            },
            WAITING)
        .thenCompose(acquired -> invokeHolding(request));
  }

  /**
   * {@link #invoke} with the permit taken. An invocation that runs gives it back when its phase
   * ends (or at its answer, see {@link #answer}); one that cannot run, at once.
   */
  private CompletableFuture<InvokeResult> invokeHolding(Invocation.Request request) {
    try {
      if (isShuttingDown()) {
        throw new Unavailable("environment shutting down");
      }
      if (!processes.usable()) {
        throw new Unavailable("the function's container is gone");
      }
    } catch (Unavailable e) {
      permit.release();
      return CompletableFuture.failedFuture(e);
    }
    Init init = currentInit();
    if (init.done.isDone()) {
      return afterInit(init, request);
    }
    // not on the thread that ends Init: that is the runtime's first /next
    return init.done
        .handleAsync((ended, failed) -> init, WAITING)
        .thenCompose(ended -> afterInit(ended, request));
  }

  private CompletableFuture<InvokeResult> afterInit(Init init, Invocation.Request request) {
    if (init.done.isCompletedExceptionally()) {
      permit.release();
      return CompletableFuture.completedFuture(
          initFailed(request, (InitFailure) init.done.exceptionNow()));
    }
    return run(request, takeInitReport(init, init.done.resultNow()));
  }

  private CompletableFuture<InvokeResult> run(Invocation.Request request, long initNanos) {
    // one deadline for the whole phase: no answer in time, or no next request in time after one
    Invocation invocation =
        new Invocation(
            request,
            System.currentTimeMillis() + config.timeout().toMillis(),
            System.nanoTime() + config.timeout().toNanos(),
            initNanos);
    CompletableFuture<Invocation> runtimeWaiting;
    lock.lock();
    try {
      runtimeWaiting = waiter;
      waiter = null;
      if (runtimeWaiting != null) {
        current = invocation;
      } else {
        pending = invocation;
      }
    } finally {
      lock.unlock();
    }
    if (runtimeWaiting != null) {
      delivering(invocation);
      runtimeWaiting.complete(invocation); // the event goes out to the runtime on this thread
    }
    extensions.invoke(request.requestId(), invocation.deadlineMs, request.traceId());
    return invocation.result;
  }

  /** Copies what the runtime has printed so far into the log, now rather than at the next poll. */
  private void drainRuntime() {
    ChildProcess process = currentRuntime();
    if (process != null) {
      process.drainOutput();
    }
  }

  /** The event is handed to the runtime now: its log and its Duration begin. */
  private void delivering(Invocation invocation) {
    invocation.deliveredNanos = System.nanoTime();
    if (invocation.request.logTail()) {
      logs.startCapture();
    }
    logs.line(
        "START RequestId: " + invocation.requestId() + " Version: " + config.functionVersion());
  }

  /** How an Invoke phase ended. */
  private enum Ending {
    NEXT,
    EXIT,
    DEADLINE
  }

  /**
   * Ends the invocation's Invoke phase (once; later calls do nothing): END and REPORT with the
   * whole phase's Duration, the caller's result if it is still waiting (no answer, or a log tail),
   * a settlement if it is not; then the environment is freed, after a reset when the runtime did
   * not come back by itself. With extensions the phase ends when they, too, are back in {@code
   * /event/next} (AWS: the Invoke phase ends after the runtime and all extensions signal they are
   * done by sending a Next request).
   */
  private void endPhase(Invocation invocation, Ending ending, ChildProcess.Exit exit) {
    Answer answer;
    lock.lock();
    try {
      if (invocation.ended) {
        return;
      }
      invocation.ended = true;
      if (current == invocation) {
        current = null;
      }
      if (pending == invocation) {
        pending = null;
      }
      if (closing == invocation) {
        closing = null;
      }
      answer = invocation.answer;
    } finally {
      lock.unlock();
    }
    if (ending == Ending.NEXT && config.hasExtensions()) {
      long idleBy =
          TimeUnit.MILLISECONDS.toNanos(invocation.deadlineMs - System.currentTimeMillis())
              + System.nanoTime();
      WAITING.execute(
          () -> {
            extensions.awaitIdle(idleBy);
            closePhase(invocation, answer, ending, exit);
            releasePermit(invocation);
          });
    } else if (ending == Ending.NEXT) {
      closePhase(invocation, answer, ending, exit);
      releasePermit(invocation);
    } else {
      closePhase(invocation, answer, ending, exit);
      // stopping a runtime waits: not on the thread that noticed
      WAITING.execute(
          () -> {
            try {
              reset();
            } finally {
              releasePermit(invocation);
            }
          });
    }
  }

  private void closePhase(
      Invocation invocation, Answer answer, Ending ending, ChildProcess.Exit exit) {
    long end = System.nanoTime();
    if (invocation.deliveredNanos == 0) {
      delivering(invocation); // the runtime went before it took the event: its log still has one
    }
    // what the REPORT says: how the phase ended (the caller may have had a good answer before)
    Answer outcome =
        switch (ending) {
          case EXIT -> new Invocation.Exit(exit);
          case DEADLINE -> new Invocation.Timeout();
          case NEXT -> answer;
        };
    ChildProcess process = currentRuntime();
    long maxMemoryMB = 0;
    if (process != null) {
      process.drainOutput(); // what the runtime printed up to now belongs to this invocation
      maxMemoryMB = process.peakMemoryMB();
    }
    if (outcome instanceof Invocation.Exit x && x.exit().oomKilled()) {
      maxMemoryMB =
          config.memoryMB(); // killed for memory: it used all there was, as Lambda reports
    }
    long durationMicros = (end - invocation.deliveredNanos) / 1000;
    // one write for both: a pipe write per line was a system call each
    logs.lines(
        "END RequestId: " + invocation.requestId(),
        report(
            invocation.requestId(),
            outcome,
            durationMicros,
            invocation.initNanos / 1000,
            maxMemoryMB));
    String tail = invocation.request.logTail() ? logs.endCapture() : null;
    // a caller still waiting gets the runtime's answer if there was one; one answered already is
    // settled with the gateway later
    InvokeResult whole =
        finish(
            invocation,
            answer != null ? answer : outcome,
            durationMicros,
            maxMemoryMB,
            tail,
            false);
    if (!invocation.result.complete(whole)) {
      settled.add(
          new Settlement(
              invocation.requestId(),
              (invocation.answeredNanos - invocation.deliveredNanos) / 1000,
              durationMicros,
              invocation.initNanos / 1000));
    }
    invocation.phaseEnded.complete(null);
  }

  /**
   * The caller's result of an answer (or of how the phase ended).
   *
   * @param logTail the base64 log tail, or null; given to the caller only when it asked
   */
  private InvokeResult finish(
      Invocation invocation,
      Answer answer,
      long durationMicros,
      long maxMemoryMB,
      String logTail,
      boolean phaseOpen) {
    String id = invocation.requestId();
    Outcome outcome;
    byte[] payload;
    String errorType;
    switch (answer) {
      case Invocation.Response r -> {
        outcome = Outcome.SUCCESS;
        payload = r.body();
        errorType = null;
      }
      case Invocation.Error e -> {
        outcome = Outcome.ERROR;
        payload = e.body();
        errorType = e.errorType();
      }
      case Invocation.Timeout t -> {
        outcome = Outcome.TIMEOUT;
        errorType = TIMED_OUT;
        payload =
            Json.error(
                    errorType,
                    String.format(
                        Locale.ROOT,
                        "RequestId: %s Error: Task timed out after %.2f seconds",
                        id,
                        config.timeout().toMillis() / 1000.0))
                .getBytes(StandardCharsets.UTF_8);
      }
      case Invocation.Exit x -> {
        outcome = Outcome.CRASH;
        errorType = "Runtime.ExitError";
        payload =
            Json.error(
                    errorType,
                    "RequestId: "
                        + id
                        + " Error: Runtime exited with error: "
                        + ChildProcess.describeExit(x.exit().code()))
                .getBytes(StandardCharsets.UTF_8);
      }
    }
    return new InvokeResult(
        outcome,
        payload,
        errorType,
        durationMicros,
        invocation.initNanos / 1000,
        maxMemoryMB,
        invocation.request.logTail() ? logTail : null,
        phaseOpen);
  }

  /** Lambda's REPORT line of a phase that ended as {@code outcome}. */
  private String report(
      String requestId, Answer outcome, long durationMicros, long initMicros, long maxMemoryMB) {
    String status =
        switch (outcome) {
          case Invocation.Timeout t -> "timeout";
          case Invocation.Exit x -> "error\tError Type: Runtime.ExitError";
          default -> null;
        };
    return ReportLine.of(
        requestId,
        durationMicros,
        config.billing().billedMillis(durationMicros, initMicros),
        config.memoryMB(),
        maxMemoryMB,
        initMicros,
        status);
  }

  private InvokeResult initFailed(Invocation.Request request, InitFailure failure) {
    logs.startCapture();
    logs.line("START RequestId: " + request.requestId() + " Version: " + config.functionVersion());
    logs.line("END RequestId: " + request.requestId());
    logs.line(
        "REPORT RequestId: "
            + request.requestId()
            + "\tStatus: error\tError Type: "
            + failure.errorType());
    String tail = logs.endCapture();
    return new InvokeResult(
        Outcome.INIT_ERROR,
        failure.errorJson(request.requestId()).getBytes(StandardCharsets.UTF_8),
        failure.errorType(),
        0,
        0,
        0,
        request.logTail() ? tail : null,
        false);
  }

  /** Frees the environment for the next invocation, once per invocation. */
  private void releasePermit(Invocation invocation) {
    lock.lock();
    try {
      if (!invocation.holdsPermit) {
        return;
      }
      invocation.holdsPermit = false;
    } finally {
      lock.unlock();
    }
    permit.release();
  }

  /**
   * The settlements not yet handed to the gateway, as {@link AgentProtocol#SETTLED}'s value; null
   * when there are none. First waits up to {@code waitMillis} for an answered invocation's phase to
   * end.
   */
  String takeSettled(long waitMillis) {
    Invocation open = waitMillis > 0 ? closingInvocation() : null;
    if (open != null) {
      try {
        open.phaseEnded.get(waitMillis, TimeUnit.MILLISECONDS);
      } catch (TimeoutException | ExecutionException e) {
        // still open: what has settled meanwhile
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    List<Settlement> taken = new ArrayList<>();
    for (Settlement s; (s = settled.poll()) != null; ) {
      taken.add(s);
    }
    return taken.isEmpty() ? null : Settlement.encode(taken);
  }

  /**
   * Shutdown: take no more work, let the in-flight invocation finish, stop runtime and extensions.
   */
  void shutdown() {
    lock.lock();
    try {
      shuttingDown = true;
    } finally {
      lock.unlock();
    }
    try {
      permit.tryAcquire(
          config.timeout().plus(config.initTimeout()).plusSeconds(1).toMillis(),
          TimeUnit.MILLISECONDS);
      // an answered invocation gave the permit back at its answer: its phase may still be open
      Invocation open = closingInvocation();
      if (open != null) {
        open.phaseEnded.get(
            Math.max(0, open.deadlineMs - System.currentTimeMillis()) + 100, TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (TimeoutException | ExecutionException e) {
      // its deadline ends it meanwhile
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
    if (deadlines != null) {
      deadlines.stop();
    }
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
      ChildProcess process =
          processes.start(
              "runtime", command, RuntimeCommand.withTelemetryLog(env), config.taskRoot(), true);
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
      failInit(
          init,
          new InitFailure(
              TIMED_OUT,
              String.format(
                  Locale.ROOT,
                  "Init timed out after %.2f seconds",
                  config.initTimeout().toMillis() / 1000.0)));
    } catch (InterruptedException | ExecutionException e) {
      // failed already, and reported where it failed
    }
  }

  private void failInit(Init failed, InitFailure failure) {
    if (!failed.done.completeExceptionally(failure)) {
      return;
    }
    drainRuntime(); // what the runtime logged of its failure comes before INIT_REPORT
    // Lambda's INIT_REPORT: a timeout is a status of its own
    String status =
        failure.errorType().equals(TIMED_OUT)
            ? "timeout"
            : "error\tError Type: " + failure.errorType();
    logs.line(
        String.format(
            Locale.ROOT,
            "INIT_REPORT Init Duration: %.2f ms\tPhase: init\tStatus: %s",
            (System.nanoTime() - failed.startNanos) / 1e6,
            status));
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
    Invocation interrupted;
    Init failedInit = null;
    lock.lock();
    try {
      if (epoch != runtimeEpoch || shuttingDown || runtime == null) {
        return;
      }
      // the event it held, else the answered one whose phase it never closed, else one it never
      // took
      interrupted = current != null ? current : closing != null ? closing : pending;
      if (!init.done.isDone()) {
        failedInit = init;
      } else if (init.done.isCompletedExceptionally()) {
        return;
      }
    } finally {
      lock.unlock();
    }
    if (failedInit != null) {
      failInit(
          failedInit,
          new InitFailure(
              "Runtime.ExitError",
              "Runtime exited with error: " + ChildProcess.describeExit(exit.code())));
    } else if (interrupted != null) {
      endPhase(interrupted, Ending.EXIT, exit);
    } else {
      logs.line(
          "Runtime exited while idle ("
              + ChildProcess.describeExit(exit.code())
              + "): re-initialising");
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

  private Invocation closingInvocation() {
    lock.lock();
    try {
      return closing;
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
