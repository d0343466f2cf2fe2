package dev.klambda.agent;

/**
 * What one invocation produced, with the measurements the gateway meters: duration from the event
 * handed to the runtime to the end of its Invoke phase (or, when {@code phaseOpen}, to its answer:
 * the rest follows as a {@link Settlement}), the Init before it (cold start only), and peak memory.
 */
record InvokeResult(
    Outcome outcome,
    byte[] payload,
    String errorType,
    long durationMicros,
    long initDurationMicros,
    long maxMemoryMB,
    String logTail,
    boolean phaseOpen) {

  enum Outcome {
    SUCCESS,
    ERROR,
    TIMEOUT,
    CRASH,
    INIT_ERROR;

    String headerValue() {
      return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
  }

  boolean functionError() {
    return outcome != Outcome.SUCCESS;
  }
}
