package dev.klambda.eventsources;

/**
 * A running mapping: reads its source and invokes its function until closed. Each source's
 * sub-package implements it; {@link EventSourceManager} starts one per enabled mapping.
 */
public interface Poller extends AutoCloseable {
  /** The outcome of the latest batch, for {@code status.lastProcessingResult}; null before any. */
  default String lastProcessingResult() {
    return null;
  }

  /** Stops reading; what was read but not yet handled is left for the source to deliver again. */
  @Override
  void close();
}
