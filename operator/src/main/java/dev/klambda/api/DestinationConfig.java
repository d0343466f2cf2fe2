package dev.klambda.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** Where records go after the retries are exhausted. */
public class DestinationConfig {
  @JsonPropertyDescription("The on-failure destination.")
  private EventDestination onFailure;

  public EventDestination getOnFailure() {
    return onFailure;
  }

  public void setOnFailure(EventDestination onFailure) {
    this.onFailure = onFailure;
  }
}
