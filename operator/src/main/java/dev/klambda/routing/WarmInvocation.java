package dev.klambda.routing;

import dev.klambda.environments.Environment;
import dev.klambda.environments.EnvironmentInvoker;
import dev.klambda.environments.InvocationRequest;
import dev.klambda.environments.InvocationResult;
import dev.klambda.function.FunctionConfig;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * An invocation run at once on an idle environment taken for it, by its router or on a loan: the
 * observer hears of it, then the environment is put back, whatever became of the invocation.
 */
final class WarmInvocation {
  private WarmInvocation() {}

  /**
   * @param putBack told whether the environment may run another invocation
   */
  static CompletableFuture<InvocationResult> run(
      EnvironmentInvoker invoker,
      InvocationObserver observer,
      FunctionConfig function,
      Environment environment,
      InvocationRequest request,
      Consumer<Boolean> putBack) {
    return invoker
        .invokeAsync(environment, request)
        .whenComplete(
            (result, failed) -> {
              try {
                if (result != null) {
                  observer.observed(function, result, 0);
                }
              } finally {
                putBack.accept(result != null && result.environmentReusable());
              }
            });
  }
}
