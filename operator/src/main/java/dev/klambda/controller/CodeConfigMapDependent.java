package dev.klambda.controller;

import dev.klambda.api.Function;
import dev.klambda.environments.CodeConfigMap;
import dev.klambda.function.FunctionValidator;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;

/** The ConfigMap holding a Function's inline code, owned by the Function. */
public class CodeConfigMapDependent extends CRUDKubernetesDependentResource<ConfigMap, Function> {
  public CodeConfigMapDependent() {
    super(ConfigMap.class);
  }

  @Override
  protected ConfigMap desired(Function function, Context<Function> context) {
    return CodeConfigMap.build(function.getMetadata().getNamespace(), function.getMetadata().getName(),
        FunctionValidator.inlineFiles(function.getSpec().getCode().getInline()));
  }
}
