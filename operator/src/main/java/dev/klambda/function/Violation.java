package dev.klambda.function;

/** A field of a manifest and the rule its value breaks. */
public record Violation(String field, String rule) {
  @Override
  public String toString() {
    return field + ": " + rule;
  }
}
