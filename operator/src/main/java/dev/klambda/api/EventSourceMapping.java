package dev.klambda.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * Connects a queue, stream or schedule to a Function with Lambda's batching and retry semantics.
 */
@Group("klambda.dev")
@Version("v1alpha1")
@ShortNames("esm")
@AdditionalPrinterColumn(
    name = "Function",
    jsonPath = ".spec.functionName",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "State",
    jsonPath = ".status.state",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Age",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
public class EventSourceMapping
    extends CustomResource<EventSourceMappingSpec, EventSourceMappingStatus> implements Namespaced {
  @Override
  @JsonPropertyDescription(
      "The source, the function and Lambda's batching, retry and failure settings.")
  public EventSourceMappingSpec getSpec() {
    return super.getSpec();
  }

  @Override
  @JsonPropertyDescription("What the poller is doing; written by the operator only.")
  public EventSourceMappingStatus getStatus() {
    return super.getStatus();
  }
}
