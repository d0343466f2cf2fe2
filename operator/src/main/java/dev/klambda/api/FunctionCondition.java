package dev.klambda.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/** A condition of a Function, shaped like Kubernetes' own (metav1.Condition). */
public class FunctionCondition {
  @JsonPropertyDescription("Ready or Invalid.")
  private String type;
  @JsonPropertyDescription("True, False or Unknown.")
  private String status;
  @JsonPropertyDescription("A CamelCase word saying why, e.g. Deployed or Invalid.")
  private String reason;
  @JsonPropertyDescription("For people: for Invalid, every field that is wrong and the rule it breaks.")
  private String message;
  @JsonPropertyDescription("When status last changed (RFC 3339).")
  private String lastTransitionTime;
  @JsonPropertyDescription("The metadata.generation the condition was set for.")
  private Long observedGeneration;

  public FunctionCondition() {}

  public FunctionCondition(String type, String status, String reason, String message,
      String lastTransitionTime, Long observedGeneration) {
    this.type = type;
    this.status = status;
    this.reason = reason;
    this.message = message;
    this.lastTransitionTime = lastTransitionTime;
    this.observedGeneration = observedGeneration;
  }

  public String getType() {
    return type;
  }

  public void setType(String type) {
    this.type = type;
  }

  public String getStatus() {
    return status;
  }

  public void setStatus(String status) {
    this.status = status;
  }

  public String getReason() {
    return reason;
  }

  public void setReason(String reason) {
    this.reason = reason;
  }

  public String getMessage() {
    return message;
  }

  public void setMessage(String message) {
    this.message = message;
  }

  public String getLastTransitionTime() {
    return lastTransitionTime;
  }

  public void setLastTransitionTime(String lastTransitionTime) {
    this.lastTransitionTime = lastTransitionTime;
  }

  public Long getObservedGeneration() {
    return observedGeneration;
  }

  public void setObservedGeneration(Long observedGeneration) {
    this.observedGeneration = observedGeneration;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FunctionCondition c && Objects.equals(type, c.type) && Objects.equals(status, c.status)
        && Objects.equals(reason, c.reason) && Objects.equals(message, c.message)
        && Objects.equals(lastTransitionTime, c.lastTransitionTime)
        && Objects.equals(observedGeneration, c.observedGeneration);
  }

  @Override
  public int hashCode() {
    return Objects.hash(type, status, reason, message, lastTransitionTime, observedGeneration);
  }
}
