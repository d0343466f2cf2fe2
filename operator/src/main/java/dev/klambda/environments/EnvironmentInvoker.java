package dev.klambda.environments;

import java.io.IOException;

/** Sends one invocation to one environment and waits for its answer. */
@FunctionalInterface
public interface EnvironmentInvoker extends AutoCloseable {
  /**
   * @throws EnvironmentUnavailableException the invocation did not run there; try another
   * @throws IOException the environment was lost while the invocation may have been running
   */
  InvocationResult invoke(Environment environment, InvocationRequest request)
      throws EnvironmentUnavailableException, IOException, InterruptedException;

  /** Lets go of connections and threads; the registry that is given the invoker closes it. */
  @Override
  default void close() {
    // nothing held
  }
}
