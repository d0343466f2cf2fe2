package dev.klambda.environments;

/**
 * One invocation on its way to an environment.
 *
 * @param clientContext the decoded client context JSON, or null
 * @param logTail whether the caller wants the log tail ({@code X-Amz-Log-Type: Tail})
 */
public record InvocationRequest(
    String requestId, byte[] payload, String clientContext, boolean logTail) {}
