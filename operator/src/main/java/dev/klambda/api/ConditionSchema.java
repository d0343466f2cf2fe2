package dev.klambda.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/**
 * What {@code kubectl explain} says about a status condition: the fields of fabric8's {@link
 * io.fabric8.kubernetes.api.model.Condition} (Kubernetes' metav1.Condition), which the status
 * holds, each described. fabric8's class carries no descriptions, so the CRD generator takes the
 * conditions' schema from here ({@code @SchemaFrom} on {@link ObservedStatus}); nothing else uses
 * it.
 */
record ConditionSchema(
    @JsonPropertyDescription("Ready or Invalid.") String type,
    @JsonPropertyDescription("True, False or Unknown.") String status,
    @JsonPropertyDescription("A CamelCase word saying why, e.g. Deployed or Invalid.")
        String reason,
    @JsonPropertyDescription(
            "For people: for Invalid, every field that is wrong and the rule it breaks.")
        String message,
    @JsonPropertyDescription("When status last changed (RFC 3339).") String lastTransitionTime,
    @JsonPropertyDescription("The metadata.generation the condition was set for.")
        Long observedGeneration) {}
