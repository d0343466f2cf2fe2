package dev.klambda.controller;

import dev.klambda.api.FunctionCondition;
import dev.klambda.api.ObservedStatus;
import java.time.Instant;
import java.util.Objects;

/** Conditions that keep their transition time while their status stays the same. */
final class Conditions {
  private Conditions() {}

  static FunctionCondition of(ObservedStatus previous, Long generation, String type, String status,
      String reason, String message) {
    String since = previous == null ? null : previous.getConditions().stream()
        .filter(c -> c.getType().equals(type) && c.getStatus().equals(status))
        .map(FunctionCondition::getLastTransitionTime).filter(Objects::nonNull).findFirst().orElse(null);
    return new FunctionCondition(type, status, reason, message, since != null ? since : Instant.now().toString(),
        generation == null ? 1 : generation);
  }
}
