package dev.klambda.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** Where records go after the retries are exhausted. */
public class DestinationConfig {
  @JsonPropertyDescription("The on-failure destination.")
  private OnFailureDestination onFailure;

  public OnFailureDestination getOnFailure() {
    return onFailure;
  }

  public void setOnFailure(OnFailureDestination onFailure) {
    this.onFailure = onFailure;
  }
}
