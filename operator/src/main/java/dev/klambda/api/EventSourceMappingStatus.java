package dev.klambda.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.ArrayList;
import java.util.List;

/** What the mapping's poller is doing, written by the operator only. */
public class EventSourceMappingStatus {
  @JsonPropertyDescription("Creating, Enabled, Disabling, Disabled or Failed.")
  private String state;

  @JsonPropertyDescription("The last batch's result: OK, PROBLEM: <why>, or No records processed.")
  private String lastProcessingResult;

  @JsonPropertyDescription("Ready (polling) and Invalid, with a message naming the field and the rule or "
      + "saying why polling fails (source unreachable, function missing, credentials rejected).")
  private List<FunctionCondition> conditions = new ArrayList<>();

  @JsonPropertyDescription("The metadata.generation this status describes.")
  private Long observedGeneration;

  public String getState() {
    return state;
  }

  public void setState(String state) {
    this.state = state;
  }

  public String getLastProcessingResult() {
    return lastProcessingResult;
  }

  public void setLastProcessingResult(String lastProcessingResult) {
    this.lastProcessingResult = lastProcessingResult;
  }

  public List<FunctionCondition> getConditions() {
    return conditions;
  }

  public void setConditions(List<FunctionCondition> conditions) {
    this.conditions = conditions;
  }

  public Long getObservedGeneration() {
    return observedGeneration;
  }

  public void setObservedGeneration(Long observedGeneration) {
    this.observedGeneration = observedGeneration;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof EventSourceMappingStatus other && java.util.Objects.equals(state, other.state)
        && java.util.Objects.equals(lastProcessingResult, other.lastProcessingResult)
        && java.util.Objects.equals(conditions, other.conditions)
        && java.util.Objects.equals(observedGeneration, other.observedGeneration);
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(state, lastProcessingResult, conditions, observedGeneration);
  }
}
