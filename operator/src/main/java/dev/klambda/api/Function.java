package dev.klambda.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** An AWS-Lambda-style function: code, runtime, memory and limits; environments run on demand. */
@Group("klambda.dev")
@Version("v1alpha1")
@ShortNames("fn")
@AdditionalPrinterColumn(
    name = "Runtime",
    jsonPath = ".spec.runtime",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Memory",
    jsonPath = ".spec.memoryMB",
    type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
    name = "Ready",
    jsonPath = ".status.conditions[?(@.type==\"Ready\")].status",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Environments",
    jsonPath = ".status.environments.total",
    type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
    name = "Age",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
public class Function extends CustomResource<FunctionSpec, FunctionStatus> implements Namespaced {
  @Override
  @JsonPropertyDescription("What the function is: runtime, code, memory, limits and scaling.")
  public FunctionSpec getSpec() {
    return super.getSpec();
  }

  @Override
  @JsonPropertyDescription("What klambda observed and did; written by the operator only.")
  public FunctionStatus getStatus() {
    return super.getStatus();
  }
}
