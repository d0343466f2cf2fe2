package dev.klambda.environments;

import dev.klambda.function.FunctionConfig;
import java.util.concurrent.CompletableFuture;

/**
 * Starts and stops execution environments: local processes in local mode, Pods on a cluster. The
 * router decides when; a manager only knows how.
 */
public interface EnvironmentManager extends AutoCloseable {
  /**
   * Starts an environment. The future completes once its Init has ended, successfully or not (a
   * failed Init is answered to the invocation that gets the environment), and fails when the
   * environment could not be started at all.
   *
   * @param provisioned whether it is started ahead of demand (provisioned concurrency)
   */
  CompletableFuture<Environment> start(FunctionConfig function, boolean provisioned);

  /**
   * Stops an environment gracefully: SIGTERM, so the agent finishes what it has and goes through
   * Shutdown. Never called for an environment that is busy.
   */
  CompletableFuture<Void> stop(Environment environment);

  /**
   * Environments of the function that already exist, e.g. Pods a previous operator process started;
   * any generation. None for local processes (they end with their klambda).
   */
  default java.util.List<Environment> existing(FunctionConfig function) {
    return java.util.List.of();
  }

  /** Stops every environment this manager started and waits for them. */
  @Override
  void close();
}
