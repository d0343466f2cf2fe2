package dev.klambda.function;

import java.time.Duration;

/**
 * How a function's Events are retried (its {@code asyncInvokeConfig}): retries after a function
 * error, and how long an Event is kept in all.
 */
public record EventRetries(int maximumRetryAttempts, Duration maximumEventAge) {
  /** Lambda's defaults: two retries, six hours. */
  public static final EventRetries LAMBDA = new EventRetries(2, Duration.ofHours(6));
}
