package dev.klambda.eventsources;

/** Told what a mapping's poller did: where the klambda_esm_* metrics plug in. */
public interface MappingObserver {
  MappingObserver NONE = (mapping, event, count) -> {};

  /**
   * What happened to records of a mapping; {@code DELETE_FAILED}: an SQS message the queue did not
   * delete (after retries), which comes back and is handled again.
   */
  enum Event {
    POLLED,
    FILTERED,
    INVOKED,
    FAILED,
    SENT_TO_DESTINATION,
    BATCH,
    DELETE_FAILED
  }

  void counted(MappingConfig mapping, Event event, long count);

  /** Age in seconds of the oldest record of the latest batch (SQS: since it was sent). */
  default void lag(MappingConfig mapping, double seconds) {}

  /** Kafka: records in the topic not yet read by the mapping's consumer (its consumer lag). */
  default void offsetLag(MappingConfig mapping, long records) {}

  /** How many pollers (SQS) or consumers (Kafka) read the mapping's source now. */
  default void pollers(MappingConfig mapping, int pollers) {}
}
