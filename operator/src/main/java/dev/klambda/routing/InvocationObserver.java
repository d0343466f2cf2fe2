package dev.klambda.routing;

import dev.klambda.environments.InvocationResult;
import dev.klambda.function.FunctionConfig;

/**
 * Told about every invocation run or refused, every event and its record: where metering plugs in.
 */
public interface InvocationObserver {
  /** What became of an accepted Event invocation. */
  enum EventOutcome {
    RECEIVED,
    RETRIED,
    DROPPED
  }

  InvocationObserver NONE =
      new InvocationObserver() {
        @Override
        public void completed(
            FunctionConfig function, InvocationResult result, long queueWaitNanos) {}

        @Override
        public void throttled(FunctionConfig function) {}

        @Override
        public void forwarded(FunctionConfig function) {}

        @Override
        public void event(String key, EventOutcome outcome, long ageNanos) {}

        @Override
        public void invocationRecord(String key, String destination, boolean sent) {}
      };

  /** An invocation ran; {@code queueWaitNanos} is how long it waited for an environment. */
  void completed(FunctionConfig function, InvocationResult result, long queueWaitNanos);

  /**
   * {@link #completed}, for whoever hands the result on: a result the observer fails on is closed,
   * as its caller never gets it.
   */
  default InvocationResult observed(
      FunctionConfig function, InvocationResult result, long queueWaitNanos) {
    try {
      completed(function, result, queueWaitNanos);
      return result;
    } catch (RuntimeException e) {
      result.close();
      throw e;
    }
  }

  /** An invocation got 429: over the function's concurrency after the queue wait. */
  void throttled(FunctionConfig function);

  /**
   * An invocation went to the replica that routes its function, none of its environments being lent
   * here: it takes a second pass through the gateway tier (and is counted where it runs).
   */
  void forwarded(FunctionConfig function);

  /**
   * An Event for the function {@code key} was received, retried or dropped, {@code ageNanos} after
   * it arrived.
   */
  void event(String key, EventOutcome outcome, long ageNanos);

  /**
   * An Event's invocation record for the function {@code key} went to its {@code destination}
   * ({@code onSuccess} or {@code onFailure}), or could not be sent there.
   */
  void invocationRecord(String key, String destination, boolean sent);
}
