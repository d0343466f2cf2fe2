package dev.klambda.function;

import java.time.Duration;

/**
 * How a function's Events are handled (its {@code asyncInvokeConfig}): retries after a function
 * error, how long an Event is kept in all, and where its invocation record goes when it succeeded
 * or was dropped (null: nowhere).
 */
public record EventInvokeConfig(
    int maximumRetryAttempts,
    Duration maximumEventAge,
    Destination onSuccess,
    Destination onFailure) {
  /** Lambda's defaults: two retries, six hours, no destinations. */
  public static final EventInvokeConfig LAMBDA =
      new EventInvokeConfig(2, Duration.ofHours(6), null, null);
}
