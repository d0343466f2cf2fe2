package dev.klambda.controller;

import dev.klambda.api.ObservedStatus;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Instant;
import java.util.Objects;

/** Conditions that keep their transition time while their status stays the same. */
final class Conditions {
  private Conditions() {}

  static Condition of(
      ObservedStatus previous,
      Long generation,
      String type,
      String status,
      String reason,
      String message) {
    String since =
        previous == null
            ? null
            : previous.getConditions().stream()
                .filter(c -> c.getType().equals(type) && c.getStatus().equals(status))
                .map(Condition::getLastTransitionTime)
                .filter(Objects::nonNull)
                .findFirst()
                .orElse(null);
    return new ConditionBuilder()
        .withType(type)
        .withStatus(status)
        .withReason(reason)
        .withMessage(message)
        .withLastTransitionTime(since != null ? since : Instant.now().toString())
        .withObservedGeneration(generation == null ? 1 : generation)
        .build();
  }
}
