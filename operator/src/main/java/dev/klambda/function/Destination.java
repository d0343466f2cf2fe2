package dev.klambda.function;

import dev.klambda.api.EventDestination;
import java.util.List;

/**
 * Where invocation records go, checked: a mapping's records that failed every retry, a Function's
 * Event invocation records. Exactly one target.
 */
public sealed interface Destination {
  record ToQueue(String queueUrl, String endpoint, String region) implements Destination {}

  record ToTopic(String topic) implements Destination {}

  /** A Function of the same namespace, invoked asynchronously with the record. */
  record ToFunction(String name) implements Destination {}

  /**
   * The destination {@code spec} names; null when it names none or breaks a rule (each broken rule
   * is added to {@code violations}, naming the field under {@code field}).
   */
  static Destination of(EventDestination spec, String field, List<Violation> violations) {
    if (spec == null) {
      return null;
    }
    int count = (spec.getSqs() != null ? 1 : 0) + (spec.getKafka() != null ? 1 : 0)
        + (spec.getFunction() != null ? 1 : 0);
    if (count != 1) {
      violations.add(new Violation(field, "must set exactly one of sqs, kafka and function (got " + count + ")"));
      return null;
    }
    if (spec.getSqs() != null) {
      required(violations, field + ".sqs.queueUrl", spec.getSqs().getQueueUrl());
      return new ToQueue(spec.getSqs().getQueueUrl(), spec.getSqs().getEndpoint(), spec.getSqs().getRegion());
    }
    if (spec.getKafka() != null) {
      required(violations, field + ".kafka.topic", spec.getKafka().getTopic());
      return new ToTopic(spec.getKafka().getTopic());
    }
    required(violations, field + ".function.name", spec.getFunction().getName());
    return new ToFunction(spec.getFunction().getName());
  }

  private static void required(List<Violation> violations, String field, String value) {
    if (value == null || value.isBlank()) {
      violations.add(new Violation(field, "is required"));
    }
  }
}
