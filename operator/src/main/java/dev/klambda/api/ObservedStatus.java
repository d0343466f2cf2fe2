package dev.klambda.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.SchemaFrom;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** What every klambda status has: its conditions and the generation it describes. */
public abstract class ObservedStatus {
  @JsonPropertyDescription(
      "Ready (True when it works) and Invalid (True when the spec cannot run); "
          + "the message names the field and the rule, or says what is wrong.")
  @SchemaFrom(type = ConditionSchema[].class)
  private List<Condition> conditions = new ArrayList<>();

  @JsonPropertyDescription("The metadata.generation this status describes.")
  private Long observedGeneration;

  public List<Condition> getConditions() {
    return conditions;
  }

  public void setConditions(List<Condition> conditions) {
    this.conditions = conditions;
  }

  public Long getObservedGeneration() {
    return observedGeneration;
  }

  public void setObservedGeneration(Long observedGeneration) {
    this.observedGeneration = observedGeneration;
  }

  protected boolean sameObservation(ObservedStatus other) {
    return Objects.equals(conditions, other.conditions)
        && Objects.equals(observedGeneration, other.observedGeneration);
  }

  protected int observationHash() {
    return Objects.hash(conditions, observedGeneration);
  }
}
