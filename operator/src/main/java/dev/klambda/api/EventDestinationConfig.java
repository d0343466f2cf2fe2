package dev.klambda.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/**
 * Where a Function's Event invocation records go, as Lambda's DestinationConfig of
 * PutFunctionEventInvokeConfig.
 */
public class EventDestinationConfig {
  @JsonPropertyDescription(
      "Where the invocation record of an Event that succeeded goes (condition Success, "
          + "with the function's response).")
  private EventDestination onSuccess;

  @JsonPropertyDescription(
      "Where the invocation record of a dropped Event goes: its retries exhausted after "
          + "function errors (condition RetriesExhausted), or older than maximumEventAgeInSeconds "
          + "(EventAgeExceeded).")
  private EventDestination onFailure;

  public EventDestination getOnSuccess() {
    return onSuccess;
  }

  public void setOnSuccess(EventDestination onSuccess) {
    this.onSuccess = onSuccess;
  }

  public EventDestination getOnFailure() {
    return onFailure;
  }

  public void setOnFailure(EventDestination onFailure) {
    this.onFailure = onFailure;
  }
}
