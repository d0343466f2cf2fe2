package dev.klambda.controller;

import dev.klambda.api.Function;
import dev.klambda.api.FunctionStatus;
import dev.klambda.function.FunctionConfig;
import dev.klambda.function.FunctionValidator;
import dev.klambda.function.InvalidFunctionException;
import dev.klambda.function.InvokePath;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.Workflow;
import io.javaoperatorsdk.operator.api.reconciler.dependent.Dependent;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Thin: validate the Function against the rules and the sizing policy and report status: whether it
 * is valid, and where it is invoked. The gateway replicas serve it from their own view of the
 * Functions and write {@code status.environments} and {@code status.usage}; the code ConfigMap is a
 * dependent resource; Pods belong to the gateway's environment manager, which stops a deleted
 * Function's (and the cluster's garbage collector removes them through their owner reference).
 * Nothing is left to clean up when a Function goes, so it is not a {@code Cleaner}: JOSDK then puts
 * no finalizer on Functions, and a Function is deleted at once, operator or not.
 */
@Workflow(
    dependents =
        @Dependent(
            type = CodeConfigMapDependent.class,
            reconcilePrecondition = HasInlineCode.class))
@ControllerConfiguration(name = "function")
public class FunctionReconciler implements Reconciler<Function> {
  private static final Logger LOG = LoggerFactory.getLogger(FunctionReconciler.class);

  /**
   * The finalizer that operators before 0.2 put on every Function (their cleanup deleted its Pods).
   * Nothing removes it now that there is no cleanup, so a Function carrying it would stay
   * Terminating for ever: it is taken off at the next reconcile.
   */
  static final String LEGACY_FINALIZER = "functions.klambda.dev/finalizer";

  private final FunctionValidator validator;
  private final KubernetesClient client;
  private final String gatewayUrl;
  private final Duration statusRefresh;

  /**
   * @param gatewayUrl where the gateway is reached, for the invoke URL in status
   * @param statusRefresh how often a Function is judged again
   */
  public FunctionReconciler(
      FunctionValidator validator,
      KubernetesClient client,
      String gatewayUrl,
      Duration statusRefresh) {
    this.validator = validator;
    this.client = client;
    this.gatewayUrl = gatewayUrl;
    this.statusRefresh = statusRefresh;
  }

  @Override
  public UpdateControl<Function> reconcile(Function function, Context<Function> context) {
    if (function.getMetadata().getFinalizers().contains(LEGACY_FINALIZER)) {
      LOG.info(
          "function {}/{}: removing the finalizer {} of an earlier klambda",
          function.getMetadata().getNamespace(),
          function.getMetadata().getName(),
          LEGACY_FINALIZER);
      client
          .resource(function)
          .edit(
              f -> {
                f.getMetadata().getFinalizers().remove(LEGACY_FINALIZER);
                return f;
              });
    }
    FunctionStatus status = new FunctionStatus();
    status.setObservedGeneration(function.getMetadata().getGeneration());
    try {
      FunctionConfig config = validator.validate(function);
      status.setInvokeUrl(gatewayUrl + InvokePath.of(config.key()));
      status.setFunctionUrl(config.url() == null ? null : gatewayUrl + config.urlPath());
      status.setConditions(
          List.of(
              condition(
                  function, "Ready", "True", "Deployed", "Invoke at " + status.getInvokeUrl()),
              condition(function, "Invalid", "False", "Valid", "")));
    } catch (InvalidFunctionException e) {
      status.setConditions(
          List.of(
              condition(function, "Ready", "False", "Invalid", e.getMessage()),
              condition(function, "Invalid", "True", "Invalid", e.getMessage())));
    }
    FunctionStatus current = function.getStatus();
    status.setUsage(current == null ? null : current.getUsage());
    status.setEnvironments(current == null ? status.getEnvironments() : current.getEnvironments());
    if (!status.equals(current)) {
      StatusPatch.write(client, function, status, "usage", "environments");
    }
    return UpdateControl.<Function>noUpdate().rescheduleAfter(statusRefresh);
  }

  private static Condition condition(
      Function function, String type, String status, String reason, String message) {
    return Conditions.of(
        function.getStatus(),
        function.getMetadata().getGeneration(),
        type,
        status,
        reason,
        message);
  }
}
