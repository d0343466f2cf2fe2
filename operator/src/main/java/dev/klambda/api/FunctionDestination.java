package dev.klambda.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** A Function that invocation records are sent to, as Event invocations. */
public class FunctionDestination {
  @JsonPropertyDescription("The Function's name in this namespace.")
  private String name;

  public String getName() {
    return name;
  }

  public void setName(String name) {
    this.name = name;
  }
}
