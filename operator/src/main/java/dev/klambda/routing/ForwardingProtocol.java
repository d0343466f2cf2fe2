package dev.klambda.routing;

/**
 * What gateway replicas say to the one that routes a function, on the wire. An invocation forwarded
 * there is Lambda's Invoke request at the owner's Invoke API, with klambda's own headers; a loan of
 * an environment ({@link Loans}) is asked for and given back at {@link #LOANS_PATH}. {@link
 * RemoteInvoker} sends it and the gateway's Invoke API serves it; the names live here, with the
 * sender, so that the gateway depends on routing and routing knows nothing of the HTTP server.
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

  /**
   * Where a replica borrows an idle environment of a function that another routes ({@code POST
   * LOANS_PATH + BORROW}: 200 with the loan's headers, 204 when nothing can be lent) and gives it
   * back ({@code POST LOANS_PATH + GIVE_BACK}: 204); and where the owner asks a borrower for an
   * idle one back ({@code POST LOANS_PATH + RECALL}: 200 with {@link #ENVIRONMENT} and {@link
   * #IDLE_MILLIS}, 204 when none is idle). All carry {@link #FORWARDED} and {@link #FUNCTION}.
   */
  public static final String LOANS_PATH = "/klambda/v1/loans/";

  public static final String BORROW = "borrow";
  public static final String GIVE_BACK = "give-back";
  public static final String RECALL = "recall";

  /** The function, {@code namespace/name}. */
  public static final String FUNCTION = "X-Klambda-Function";

  /** Who borrows: the replica's name among the members. */
  public static final String BORROWER = "X-Klambda-Borrower";

  /** The environment lent or given back. */
  public static final String ENVIRONMENT = "X-Klambda-Environment";

  /** On a loan: the generation of the Function the environment runs. */
  public static final String GENERATION = "X-Klambda-Generation";

  /** On a loan: the environment's agent, e.g. {@code http://10.1.2.3:9000}. */
  public static final String ADDRESS = "X-Klambda-Address";

  /** On a loan: what the environment's agent requires of an invocation. */
  public static final String INVOKE_TOKEN = "X-Klambda-Invoke-Token";

  /** On a give-back: false when the environment must not run another invocation. */
  public static final String REUSABLE = "X-Klambda-Reusable";

  /** On a give-back or a recall's answer: how long it has been idle at the borrower. */
  public static final String IDLE_MILLIS = "X-Klambda-Idle-Millis";

  private ForwardingProtocol() {}
}
