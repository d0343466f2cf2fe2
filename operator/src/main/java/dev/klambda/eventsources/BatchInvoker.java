package dev.klambda.eventsources;

import dev.klambda.environments.InvocationResult;
import dev.klambda.routing.ServiceException;

/** Runs one synchronous invocation of a function with a batch of records. */
@FunctionalInterface
public interface BatchInvoker {
  InvocationResult invoke(String functionKey, byte[] payload)
      throws ServiceException, InterruptedException;
}
