package dev.klambda.routing;

import dev.klambda.destinations.Backoff;
import dev.klambda.destinations.InvocationRecords;
import dev.klambda.destinations.RecordSenders;
import dev.klambda.environments.InvocationRequest;
import dev.klambda.environments.InvocationResult;
import dev.klambda.function.Destination;
import dev.klambda.function.FunctionConfig;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the invocation record of an Event that is done with to the destination its function names
 * now ({@code asyncInvokeConfig.destinationConfig}): onSuccess once it succeeded, onFailure once it
 * was dropped. A function destination gets the record as an Event of its own. A send that fails is
 * tried again ({@link #ATTEMPTS} in all, with a doubling pause); one that still fails is counted
 * and logged with the record, so no event is lost without a trace.
 */
final class EventDestinations {
  private static final Logger LOG = LoggerFactory.getLogger(EventDestinations.class);
  static final int ATTEMPTS = 3;
  static final Duration FIRST_RETRY = Duration.ofSeconds(1);

  /** Why an Event is done with, as its record's {@code requestContext.condition} says. */
  enum Condition {
    SUCCESS("Success"),
    RETRIES_EXHAUSTED("RetriesExhausted"),
    EVENT_AGE_EXCEEDED("EventAgeExceeded");

    final String value;

    Condition(String value) {
      this.value = value;
    }
  }

  /** Accepts an Event invocation of a function (the {@link AsyncInvoker}). */
  @FunctionalInterface
  interface Events {
    void submit(String key, InvocationRequest request) throws ServiceException;
  }

  private final FunctionRegistry registry;
  private final RecordSenders senders;
  private final Events events;
  private final InvocationObserver observer;
  private final Duration firstRetry;

  EventDestinations(
      FunctionRegistry registry,
      RecordSenders senders,
      Events events,
      InvocationObserver observer,
      Duration firstRetry) {
    this.registry = registry;
    this.senders = senders;
    this.events = events;
    this.observer = observer;
    this.firstRetry = firstRetry;
  }

  /**
   * Sends the event's record, if its function (still served) names a destination for it.
   *
   * @param attempts the attempts that ran
   * @param last the last attempt's result; null when none ran
   */
  void send(
      String key,
      InvocationRequest request,
      Condition condition,
      int attempts,
      InvocationResult last)
      throws InterruptedException {
    FunctionConfig function;
    try {
      function = registry.find(key);
    } catch (ServiceException notServed) {
      return; // deleted meanwhile: it names no destination any more
    }
    boolean success = condition == Condition.SUCCESS;
    Destination destination =
        success
            ? function.eventInvokeConfig().onSuccess()
            : function.eventInvokeConfig().onFailure();
    if (destination == null) {
      return;
    }
    String which = success ? "onSuccess" : "onFailure";
    String record =
        InvocationRecords.event(
            request.requestId(),
            function.arn(registry.region()) + ":$LATEST",
            condition.value,
            attempts,
            request.payloadBytes(),
            last == null ? null : last.payloadBytes(),
            last != null && last.functionError() ? "Unhandled" : null);
    Backoff backoff = new Backoff(firstRetry, firstRetry.multipliedBy(4));
    for (int attempt = 1; ; attempt++) {
      try {
        deliver(function, destination, record);
        observer.invocationRecord(key, which, true);
        return;
      } catch (ServiceException | RuntimeException e) {
        if (attempt == ATTEMPTS) {
          observer.invocationRecord(key, which, false);
          LOG.error(
              "function {}: the {} record of event {} was not sent to {} after {} attempts ({}); "
                  + "the record: {}",
              key,
              which,
              request.requestId(),
              destination,
              ATTEMPTS,
              e.getMessage(),
              record);
          return;
        }
        LOG.warn(
            "function {}: the {} record of event {} could not be sent to {}, trying again: {}",
            key,
            which,
            request.requestId(),
            destination,
            e.getMessage());
      }
      Thread.sleep(backoff.next());
    }
  }

  private void deliver(FunctionConfig function, Destination destination, String record)
      throws ServiceException {
    if (destination instanceof Destination.ToFunction target) {
      String key = function.namespace() + "/" + target.name();
      registry.find(
          key); // one not served (yet) fails the send: retried, at worst logged, never dropped
      // unseen
      events.submit(
          key,
          new InvocationRequest(
              UUID.randomUUID().toString(), record.getBytes(StandardCharsets.UTF_8), null, false));
    } else {
      senders.sender(function.namespace(), destination).send(record);
    }
  }
}
