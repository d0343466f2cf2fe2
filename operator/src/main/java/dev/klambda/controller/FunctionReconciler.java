package dev.klambda.controller;

import dev.klambda.api.Function;
import dev.klambda.api.FunctionCondition;
import dev.klambda.api.FunctionStatus;
import dev.klambda.environments.CodeConfigMap;
import dev.klambda.environments.EnvironmentPodTemplate;
import dev.klambda.function.CodeSource;
import dev.klambda.function.FunctionConfig;
import dev.klambda.function.FunctionValidator;
import dev.klambda.function.InvalidFunctionException;
import dev.klambda.function.Violation;
import dev.klambda.gateway.FunctionRegistry;
import dev.klambda.gateway.FunctionRouter;
import dev.klambda.metering.Usage;
import dev.klambda.metering.UsageLedger;
import dev.klambda.metering.UsageReport;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.Workflow;
import io.javaoperatorsdk.operator.api.reconciler.dependent.Dependent;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Thin: validate the Function against the rules and the sizing policy, hand the result to the
 * gateway (which starts environments on demand, never here), and report status. The code
 * ConfigMap is a dependent resource; Pods belong to the environment manager.
 */
@Workflow(dependents = @Dependent(type = CodeConfigMapDependent.class, reconcilePrecondition = HasInlineCode.class))
@ControllerConfiguration(name = "function")
public class FunctionReconciler implements Reconciler<Function>, Cleaner<Function> {
  private final FunctionValidator validator;
  private final FunctionRegistry registry;
  private final UsageLedger ledger;
  private final KubernetesClient client;
  private final String gatewayUrl;
  private final Duration statusRefresh;
  private final FunctionsLoaded loaded;

  /**
   * @param gatewayUrl where the gateway is reached, for the invoke URL in status
   * @param statusRefresh how often environment counts in status are brought up to date
   * @param loaded told each Function the registry has taken in, for readiness
   */
  public FunctionReconciler(FunctionValidator validator, FunctionRegistry registry, UsageLedger ledger,
      KubernetesClient client, String gatewayUrl, Duration statusRefresh, FunctionsLoaded loaded) {
    this.validator = validator;
    this.registry = registry;
    this.ledger = ledger;
    this.client = client;
    this.gatewayUrl = gatewayUrl;
    this.statusRefresh = statusRefresh;
    this.loaded = loaded;
  }

  @Override
  public UpdateControl<Function> reconcile(Function function, Context<Function> context) {
    FunctionStatus status = new FunctionStatus();
    status.setObservedGeneration(function.getMetadata().getGeneration());
    ledger.seed(key(function), persistedUsage(function));
    try {
      FunctionConfig config = validate(function);
      FunctionRouter router = registry.deploy(config);
      loaded.reconciled(function);
      FunctionRouter.Counts counts = router.counts();
      status.setInvokeUrl(gatewayUrl + "/2015-03-31/functions/"
          + URLEncoder.encode(config.key(), StandardCharsets.UTF_8) + "/invocations");
      status.setFunctionUrl(config.url() == null ? null : gatewayUrl + config.urlPath());
      status.setEnvironments(new FunctionStatus.EnvironmentCounts(counts.starting(), counts.idle(), counts.busy()));
      status.setConditions(List.of(
          condition(function, "Ready", "True", "Deployed", "Invoke at " + status.getInvokeUrl()),
          condition(function, "Invalid", "False", "Valid", "")));
    } catch (InvalidFunctionException e) {
      registry.remove(key(function));
      loaded.reconciled(function);
      status.setConditions(List.of(
          condition(function, "Ready", "False", "Invalid", e.getMessage()),
          condition(function, "Invalid", "True", "Invalid", e.getMessage())));
    }
    FunctionStatus current = function.getStatus();
    status.setUsage(current == null ? null : current.getUsage());
    if (!status.equals(current)) {
      patchStatus(function, status);
    }
    return UpdateControl.<Function>noUpdate().rescheduleAfter(statusRefresh);
  }

  /** The reconciler's own status fields; {@code status.usage} belongs to the usage roll-up. */
  private void patchStatus(Function function, FunctionStatus status) {
    StatusPatch.write(client, function, status, "usage");
  }

  /** Usage written down by an earlier operator process, the ledger's starting point. */
  private static Usage persistedUsage(Function function) {
    Instant created = function.getMetadata().getCreationTimestamp() == null ? Instant.now()
        : Instant.parse(function.getMetadata().getCreationTimestamp());
    FunctionStatus status = function.getStatus();
    return status == null || status.getUsage() == null ? Usage.none(created)
        : UsageReport.parse(status.getUsage(), created);
  }

  private FunctionConfig validate(Function function) throws InvalidFunctionException {
    FunctionConfig config = validator.validate(function);
    if (config.code() instanceof CodeSource.Inline inline && CodeConfigMap.size(inline.files()) > CodeConfigMap.MAX_BYTES) {
      throw new InvalidFunctionException(List.of(new Violation("spec.code.inline",
          "holds " + CodeConfigMap.size(inline.files()) + " bytes, a ConfigMap at most "
              + CodeConfigMap.MAX_BYTES + ": put larger code in spec.code.image")));
    }
    return config;
  }

  /**
   * The function stops taking invocations; its Pods go (a cluster's garbage collector would
   * delete them through their owner reference too, but not before in-flight work is cut off).
   */
  @Override
  public DeleteControl cleanup(Function function, Context<Function> context) {
    registry.remove(key(function));
    ledger.forget(key(function));
    client.pods().inNamespace(function.getMetadata().getNamespace())
        .withLabel(EnvironmentPodTemplate.FUNCTION, function.getMetadata().getName())
        .withLabel(EnvironmentPodTemplate.MANAGED_BY, "klambda")
        .delete();
    return DeleteControl.defaultDelete();
  }

  private static String key(Function function) {
    return function.getMetadata().getNamespace() + "/" + function.getMetadata().getName();
  }

  private static FunctionCondition condition(Function function, String type, String status, String reason,
      String message) {
    return Conditions.of(function.getStatus(), function.getMetadata().getGeneration(), type, status, reason, message);
  }
}
