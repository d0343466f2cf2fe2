package dev.klambda.routing;

/**
 * What an invocation forwarded from one gateway replica to the one that routes its function looks
 * like on the wire: Lambda's Invoke request at the owner's Invoke API, with klambda's own headers.
 * {@link RemoteInvoker} sends it and the gateway's Invoke API serves it; the names live here, with
 * the sender, so that the gateway depends on routing and routing knows nothing of the HTTP server.
 */
public final class ForwardingProtocol {
  /** The replicas' shared token: the request comes from a replica, which authorized the caller. */
  public static final String FORWARDED = "X-Klambda-Forwarded";

  /** The request id the first replica gave the invocation. */
  public static final String REQUEST_ID = "X-Klambda-Request-Id";

  /** What is left of the caller's queue wait, in milliseconds. */
  public static final String QUEUE_MILLIS = "X-Klambda-Queue-Millis";

  /** On the answer: how the invocation ended ({@code InvocationResult.Outcome}). */
  public static final String OUTCOME = "X-Klambda-Outcome";

  /** On the answer: the function's error type, if any. */
  public static final String ERROR_TYPE = "X-Klambda-Error-Type";

  private ForwardingProtocol() {}
}
