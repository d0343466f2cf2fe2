package dev.klambda.controller;

import dev.klambda.api.Function;
import dev.klambda.environments.CodeConfigMap;
import dev.klambda.environments.EnvironmentPodTemplate;
import dev.klambda.function.FunctionValidator;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.javaoperatorsdk.operator.processing.event.ResourceID;

/**
 * The ConfigMap holding a Function's inline code, owned by the Function. Its informer follows only
 * klambda's ConfigMaps (by label), not every ConfigMap of the cluster.
 */
@KubernetesDependent(
    informer = @Informer(labelSelector = EnvironmentPodTemplate.MANAGED_BY + "=klambda"))
public class CodeConfigMapDependent extends CRUDKubernetesDependentResource<ConfigMap, Function> {
  public CodeConfigMapDependent() {
    super(ConfigMap.class);
  }

  @Override
  protected ConfigMap desired(Function function, Context<Function> context) {
    return CodeConfigMap.build(
        function.getMetadata().getNamespace(),
        function.getMetadata().getName(),
        FunctionValidator.inlineFiles(function.getSpec().getCode().getInline()));
  }

  /**
   * The ConfigMap's name without building it: JOSDK finds the ConfigMap to delete (the code moved
   * from inline to an image or a ConfigMap) through this, and by default it calls {@link #desired},
   * which has no inline code to build from then.
   */
  @Override
  protected ResourceID targetSecondaryResourceID(Function function, Context<Function> context) {
    return new ResourceID(
        CodeConfigMap.name(function.getMetadata().getName()),
        function.getMetadata().getNamespace());
  }
}
