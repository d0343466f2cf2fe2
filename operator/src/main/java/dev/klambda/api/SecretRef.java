package dev.klambda.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** A Secret in the namespace of the resource that names it. */
public class SecretRef {
  @JsonPropertyDescription("The Secret's name.")
  private String name;

  public String getName() {
    return name;
  }

  public void setName(String name) {
    this.name = name;
  }
}
