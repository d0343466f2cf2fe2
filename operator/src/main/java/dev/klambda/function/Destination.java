package dev.klambda.function;

import dev.klambda.api.EventDestination;
import dev.klambda.api.SecretRef;
import java.util.List;

/**
 * Where invocation records go, checked: a mapping's records that failed every retry, a Function's
 * Event invocation records. Exactly one target.
 */
public sealed interface Destination {
  /**
   * @param credentialsSecret the Secret to send with; null for the AWS default credential chain
   */
  record ToQueue(String queueUrl, String endpoint, String region, String credentialsSecret)
      implements Destination {}

  /**
   * @param bootstrapServers the topic's cluster; null for a mapping's (its source's cluster)
   * @param authSecret the Secret with the connection settings of bootstrapServers; null for none
   */
  record ToTopic(String topic, String bootstrapServers, String authSecret) implements Destination {}

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
    int count =
        (spec.getSqs() != null ? 1 : 0)
            + (spec.getKafka() != null ? 1 : 0)
            + (spec.getFunction() != null ? 1 : 0);
    if (count != 1) {
      violations.add(
          new Violation(
              field, "must set exactly one of sqs, kafka and function (got " + count + ")"));
      return null;
    }
    if (spec.getSqs() != null) {
      var sqs = spec.getSqs();
      required(violations, field + ".sqs.queueUrl", sqs.getQueueUrl());
      return new ToQueue(
          sqs.getQueueUrl(),
          sqs.getEndpoint(),
          sqs.getRegion(),
          secret(sqs.getCredentialsSecretRef()));
    }
    if (spec.getKafka() != null) {
      var kafka = spec.getKafka();
      required(violations, field + ".kafka.topic", kafka.getTopic());
      return new ToTopic(
          kafka.getTopic(), kafka.getBootstrapServers(), secret(kafka.getAuthSecretRef()));
    }
    required(violations, field + ".function.name", spec.getFunction().getName());
    return new ToFunction(spec.getFunction().getName());
  }

  private static String secret(SecretRef ref) {
    return ref == null ? null : ref.getName();
  }

  private static void required(List<Violation> violations, String field, String value) {
    if (value == null || value.isBlank()) {
      violations.add(new Violation(field, "is required"));
    }
  }
}
