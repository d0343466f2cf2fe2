package dev.klambda.destinations;

import dev.klambda.function.Destination;

/**
 * The senders of destinations that records are sent to rather than invoked: SQS queues and Kafka
 * topics.
 */
@FunctionalInterface
public interface RecordSenders {
  /**
   * The sender of a Function's destination in {@code namespace} (where its Secret is).
   *
   * @throws RuntimeException it cannot be opened: a missing or wrong Secret, an unreachable API
   *     server
   */
  RecordSender sender(String namespace, Destination destination);
}
