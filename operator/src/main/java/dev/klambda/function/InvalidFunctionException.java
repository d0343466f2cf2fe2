package dev.klambda.function;

import java.util.List;
import java.util.stream.Collectors;

/** A Function that cannot run, with every field that is wrong and why. */
public final class InvalidFunctionException extends Exception {
  private final List<Violation> violations;

  public InvalidFunctionException(List<Violation> violations) {
    super(violations.stream().map(Violation::toString).collect(Collectors.joining("; ")));
    this.violations = List.copyOf(violations);
  }

  public List<Violation> violations() {
    return violations;
  }
}
