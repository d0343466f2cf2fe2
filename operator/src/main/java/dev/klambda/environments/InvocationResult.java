package dev.klambda.environments;

/**
 * What an environment answered, with the agent's measurements.
 *
 * @param errorType the function error's type, or null on success
 * @param logResult base64 of the last 4 KB of the invocation's log, or null
 */
public record InvocationResult(
    Outcome outcome,
    byte[] payload,
    String errorType,
    String logResult,
    long durationMicros,
    long initDurationMicros) {

  /** How an invocation ended, as the agent reports it. */
  public enum Outcome {
    SUCCESS,
    ERROR,
    TIMEOUT,
    CRASH,
    INIT_ERROR;

    static Outcome fromHeader(String value) {
      return valueOf(value.toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
    }
  }

  public boolean functionError() {
    return outcome != Outcome.SUCCESS;
  }

  /** Whether the environment can take another invocation (a failed Init cannot). */
  public boolean environmentReusable() {
    return outcome != Outcome.INIT_ERROR;
  }
}
