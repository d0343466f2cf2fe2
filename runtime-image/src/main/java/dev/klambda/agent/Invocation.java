package dev.klambda.agent;

import java.util.concurrent.CompletableFuture;

/** One invocation inside the environment: the gateway's request and the runtime's answer. */
final class Invocation {
  /** What the gateway sent to the agent's invoke endpoint. */
  record Request(String requestId, byte[] payload, String traceId, String clientContext,
      String cognitoIdentity, boolean logTail) {}

  /** How the runtime answered. */
  sealed interface Answer {}

  record Response(byte[] body) implements Answer {}

  record Error(String errorType, byte[] body) implements Answer {}

  /** The runtime ended: how (killed for memory, maybe). */
  record Exit(ChildProcess.Exit exit) implements Answer {}

  record Timeout() implements Answer {}

  final Request request;
  final long deadlineMs;
  final CompletableFuture<Answer> answer = new CompletableFuture<>();
  volatile long deliveredNanos;

  Invocation(Request request, long deadlineMs) {
    this.request = request;
    this.deadlineMs = deadlineMs;
  }

  String requestId() {
    return request.requestId();
  }
}
