package dev.klambda.environments;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;

/** Sends one invocation to one environment and waits for its answer. */
@FunctionalInterface
public interface EnvironmentInvoker extends AutoCloseable {
  /**
   * @throws EnvironmentUnavailableException the invocation did not run there; try another
   * @throws IOException the environment was lost while the invocation may have been running
   */
  InvocationResult invoke(Environment environment, InvocationRequest request)
      throws EnvironmentUnavailableException, IOException, InterruptedException;

  /**
   * The same, completing when the answer is there; failures as those of {@link #invoke}. This
   * default runs {@link #invoke} on a virtual thread of its own.
   */
  default CompletableFuture<InvocationResult> invokeAsync(
      Environment environment, InvocationRequest request) {
    CompletableFuture<InvocationResult> result = new CompletableFuture<>();
    Thread.ofVirtual()
        .start(
            () -> {
              try {
                result.complete(invoke(environment, request));
              } catch (Exception e) {
                result.completeExceptionally(e);
              }
            });
    return result;
  }

  /** Lets go of connections and threads; the registry that is given the invoker closes it. */
  @Override
  default void close() {
    // nothing held
  }
}
