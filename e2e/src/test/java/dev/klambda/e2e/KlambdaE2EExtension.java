package dev.klambda.e2e;

import java.util.Optional;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * Sets up one {@link KlambdaCluster} for every test class of the run (in the root store, closed
 * when the run ends), or decides once that the machine cannot run the suite: then every test is
 * skipped with the reason (disabled one by one, so the reports count and explain each), or the
 * classes fail under {@code -De2e.required=true}. A failed test prints the namespace's pods,
 * statuses and logs.
 */
final class KlambdaE2EExtension
    implements BeforeAllCallback, ExecutionCondition, ParameterResolver, TestWatcher {
  private static final ExtensionContext.Namespace STORE =
      ExtensionContext.Namespace.create(KlambdaE2EExtension.class);

  /** The outcome of the one attempt to set up: a cluster, a reason to skip, or a failure. */
  private record Setup(KlambdaCluster cluster, String skipReason, RuntimeException failure)
      implements AutoCloseable {
    static Setup attempt() {
      E2ESettings settings = E2ESettings.fromSystemProperties();
      Optional<String> unmet;
      try {
        unmet = Preconditions.unmet(settings);
      } catch (RuntimeException e) {
        unmet = Optional.of("the Docker engine could not be asked about images (" + e + ")");
      }
      if (unmet.isPresent()) {
        String reason = "klambda e2e tests SKIPPED: " + unmet.get() + " (e2e/README.md)";
        if (settings.required()) {
          return new Setup(
              null, null, new IllegalStateException("-De2e.required=true, but " + reason));
        }
        KlambdaCluster.log(reason);
        return new Setup(null, reason, null);
      }
      try {
        return new Setup(KlambdaCluster.start(settings), null, null);
      } catch (RuntimeException e) {
        return new Setup(
            null,
            null,
            new IllegalStateException(
                "klambda could not be set up on the cluster: " + e.getMessage(), e));
      }
    }

    /**
     * The cluster, or the setup's failure (again for each class); null where the run is skipped.
     */
    KlambdaCluster require() {
      if (failure != null) {
        throw new IllegalStateException(failure.getMessage(), failure);
      }
      return cluster;
    }

    @Override
    public void close() {
      if (cluster != null) {
        cluster.close();
      }
      if (skipReason != null) {
        KlambdaCluster.log("again, at the end of the run: " + skipReason);
      }
    }
  }

  private static Setup setup(ExtensionContext context) {
    return context
        .getRoot()
        .getStore(STORE)
        .getOrComputeIfAbsent(Setup.class, key -> Setup.attempt(), Setup.class);
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    setup(context).require();
  }

  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    if (context.getTestMethod().isEmpty()) {
      return ConditionEvaluationResult.enabled("classes run; their tests are checked one by one");
    }
    String skipReason = setup(context).skipReason();
    return skipReason == null
        ? ConditionEvaluationResult.enabled("klambda runs on a cluster")
        : ConditionEvaluationResult.disabled(skipReason);
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == KlambdaCluster.class;
  }

  /**
   * The cluster; null where the tests are skipped: JUnit constructs the test instance before it
   * evaluates {@link #evaluateExecutionCondition}, which then disables every test of it.
   */
  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return setup(context).require();
  }

  @Override
  public void testFailed(ExtensionContext context, Throwable cause) {
    KlambdaCluster cluster = setup(context).cluster();
    if (cluster != null) {
      System.out.println(
          "[klambda e2e] " + context.getDisplayName() + " failed; the cluster at that moment:");
      System.out.println(cluster.describe());
    }
  }
}
