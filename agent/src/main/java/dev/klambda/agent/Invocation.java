package dev.klambda.agent;

import java.util.concurrent.CompletableFuture;

/**
 * One invocation inside the environment: the gateway's request, the runtime's answer, and its
 * Invoke phase, which ends only when the runtime asks for the next event (or exits, or runs out of
 * time): what the runtime does after answering still belongs to it, in its log and its Duration.
 */
final class Invocation {
  /** What the gateway sent to the agent's invoke endpoint. */
  record Request(
      String requestId,
      byte[] payload,
      String traceId,
      String clientContext,
      String cognitoIdentity,
      boolean logTail) {}

  /** How the runtime answered. */
  sealed interface Answer {}

  record Response(byte[] body) implements Answer {}

  record Error(String errorType, byte[] body) implements Answer {}

  /** The runtime ended: how (killed for memory, maybe). */
  record Exit(ChildProcess.Exit exit) implements Answer {}

  record Timeout() implements Answer {}

  final Request request;

  /** The function's timeout from when the invocation began, as the runtime is told it. */
  final long deadlineMs;

  /** The same, in {@link System#nanoTime}: when {@link DeadlineWatch} ends the phase. */
  final long deadlineNanos;

  /** The Init before it (a cold start's first invocation), else 0. */
  final long initNanos;

  /**
   * The caller's result: at the runtime's answer, or at the end of the phase (see
   * ExecutionEnvironment).
   */
  final CompletableFuture<InvokeResult> result = new CompletableFuture<>();

  /** Completes when the Invoke phase has ended and END/REPORT are written. */
  final CompletableFuture<Void> phaseEnded = new CompletableFuture<>();

  volatile long deliveredNanos;
  // guarded by the environment's lock
  Answer answer;
  long answeredNanos;
  boolean ended;
  boolean holdsPermit = true;

  Invocation(Request request, long deadlineMs, long deadlineNanos, long initNanos) {
    this.request = request;
    this.deadlineMs = deadlineMs;
    this.deadlineNanos = deadlineNanos;
    this.initNanos = initNanos;
  }

  String requestId() {
    return request.requestId();
  }
}
