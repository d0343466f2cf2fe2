package dev.klambda.eventsources;

/** Hands an event to a function: how pollers invoke (the gateway's routers behind it). */
@FunctionalInterface
public interface EventSink {
  /** Queues an asynchronous (Event) invocation of the function {@code namespace/name}. */
  void submitEvent(String functionKey, byte[] payload);
}
