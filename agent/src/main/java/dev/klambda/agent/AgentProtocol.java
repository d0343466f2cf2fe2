package dev.klambda.agent;

/**
 * The agent's internal endpoint, between the gateway and an environment. Public so the gateway uses
 * the same names: this is the one place they are spelled.
 */
public final class AgentProtocol {
  /** The port of the invoke endpoint (a Pod's container port; the agent's own in local mode). */
  public static final int INVOKE_PORT = 9000;

  /** The Runtime API port, on the environment's loopback. */
  public static final int RUNTIME_API_PORT = 9001;

  /** {@code GET}: 200 when Init succeeded, 500 with the error when it failed, 503 otherwise. */
  public static final String READY_PATH = "/klambda/ready";

  /** Query parameter of the ready path: wait up to this many milliseconds for Init to end. */
  public static final String READY_WAIT_PARAMETER = "waitMs";

  /**
   * A warm-pool environment (started with {@code KLAMBDA_POOL}, for no function yet). {@code GET}
   * (with {@link #READY_WAIT_PARAMETER}): 204 once it can be claimed (its function container is
   * up), 503 before, 409 once claimed. {@code POST} a {@link PoolClaim}: 202 and Init begins, as in
   * an environment started for the function; 409 when it is claimed already or runs another runtime
   * or memory size, 400 for a body that is not a claim. One function for life.
   */
  public static final String CLAIM_PATH = "/klambda/claim";

  /** The agent's variable that makes it a warm-pool member; its value is the pool's name. */
  public static final String POOL_VARIABLE = "KLAMBDA_POOL";

  /** {@code POST} the event; the answer is the function's payload with the headers below. */
  public static final String INVOKE_PATH = "/klambda/invoke";

  /**
   * The agent's variable with the environment's invoke token, issued by the gateway when it creates
   * the environment: invocations and claims must carry it in {@link #INVOKE_TOKEN}, so that only
   * the gateway gives the environment work, whatever the network lets reach its port. Like every
   * {@code KLAMBDA_*} variable it is the agent's alone, never the function's.
   */
  public static final String INVOKE_TOKEN_VARIABLE = "KLAMBDA_INVOKE_TOKEN";

  /** The header with the environment's invoke token. */
  public static final String INVOKE_TOKEN = "Klambda-Invoke-Token";

  public static final String REQUEST_ID = "Klambda-Request-Id";
  public static final String TRACE_ID = "Klambda-Trace-Id";

  /** The client context as JSON (the Invoke API's header is base64 of it). */
  public static final String CLIENT_CONTEXT = "Klambda-Client-Context";

  public static final String COGNITO_IDENTITY = "Klambda-Cognito-Identity";

  /** {@code Tail} to get the log tail back. */
  public static final String LOG_TYPE = "Klambda-Log-Type";

  /** success, error, timeout, crash or init-error; unavailable with a 503 (try elsewhere). */
  public static final String OUTCOME = "Klambda-Outcome";

  public static final String ERROR_TYPE = "Klambda-Error-Type";
  public static final String DURATION_MICROS = "Klambda-Duration-Micros";
  public static final String INIT_DURATION_MICROS = "Klambda-Init-Duration-Micros";

  /**
   * {@link #PHASE_OPEN_VALUE} when the answer came before the invocation's Invoke phase ended (the
   * runtime had not yet asked for its next event): its duration is the one so far, and the rest
   * follows in a later {@link #SETTLED}.
   */
  public static final String PHASE = "Klambda-Phase";

  public static final String PHASE_OPEN_VALUE = "open";

  /**
   * On any answer of the agent: the invocations answered early whose phase has ended since the last
   * answer ({@link Settlement#encode}); each is given out once.
   */
  public static final String SETTLED = "Klambda-Settled";

  /**
   * {@code GET} (with {@link #READY_WAIT_PARAMETER}): 204 with {@link #SETTLED} once no answered
   * invocation's phase is open or the wait is over; how the gateway settles an environment that got
   * no further invocation.
   */
  public static final String SETTLED_PATH = "/klambda/settled";

  /** Base64 of the last 4 KB of the invocation's log. */
  public static final String LOG_RESULT = "Klambda-Log-Result";

  public static final String OUTCOME_UNAVAILABLE = "unavailable";

  private AgentProtocol() {}
}
