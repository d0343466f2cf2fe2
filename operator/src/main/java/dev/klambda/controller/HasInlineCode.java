package dev.klambda.controller;

import dev.klambda.api.Function;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResource;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Condition;

/** The code ConfigMap exists only for inline code (switching to an image removes it). */
public class HasInlineCode implements Condition<ConfigMap, Function> {
  @Override
  public boolean isMet(
      DependentResource<ConfigMap, Function> dependent,
      Function function,
      Context<Function> context) {
    return function.getSpec() != null
        && function.getSpec().getCode() != null
        && function.getSpec().getCode().getInline() != null;
  }
}
