package dev.klambda.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.klambda.destinations.RecordSender;
import dev.klambda.destinations.RecordSenders;
import dev.klambda.environments.EnvironmentInvoker;
import dev.klambda.environments.InvocationRequest;
import dev.klambda.environments.InvocationResult;
import dev.klambda.environments.InvocationResult.Outcome;
import dev.klambda.function.Destination;
import dev.klambda.function.EventInvokeConfig;
import dev.klambda.function.FunctionConfig;
import dev.klambda.function.TestFunctions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Events and their journal: kept before they are accepted, forgotten once done with (their record
 * sent to its destination), never before.
 */
class AsyncInvokerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Destination.ToQueue QUEUE =
      new Destination.ToQueue("http://q/1/records", null, null, null);

  private final TestingEnvironmentManager manager = new TestingEnvironmentManager();

  private final TestingEventJournal journal = new TestingEventJournal();
  private final TestingSenders senders = new TestingSenders();
  private final RecordCounts counts = new RecordCounts();
  private FunctionRegistry registry;

  /** Records what is kept and done; refuses to keep when told to. */
  private static final class TestingEventJournal implements EventJournal {
    final List<String> kept = new CopyOnWriteArrayList<>();
    final List<String> done = new CopyOnWriteArrayList<>();
    volatile boolean refuse;

    @Override
    public void keep(String key, InvocationRequest request) throws ServiceException {
      if (refuse) {
        throw ServiceException.service("no replica can keep a copy");
      }
      kept.add(request.requestId());
    }

    @Override
    public boolean copied(String requestId) {
      return kept.contains(requestId);
    }

    @Override
    public void done(String requestId) {
      done.add(requestId);
    }
  }

  /**
   * Records what each destination was sent; fails the first {@code failures} sends when told to.
   */
  private static final class TestingSenders implements RecordSenders {
    record Sent(String namespace, Destination destination, JsonNode record) {}

    final List<Sent> sent = new CopyOnWriteArrayList<>();
    final AtomicInteger failures = new AtomicInteger();

    @Override
    public RecordSender sender(String namespace, Destination destination) {
      return record -> {
        if (failures.getAndDecrement() > 0) {
          throw new IllegalStateException("the queue is down");
        }
        sent.add(new Sent(namespace, destination, json(record)));
      };
    }
  }

  /** Counts what the invoker reports about records. */
  private static final class RecordCounts implements InvocationObserver {
    final List<String> records = new CopyOnWriteArrayList<>();

    @Override
    public void completed(FunctionConfig function, InvocationResult result, long queueWaitNanos) {}

    @Override
    public void throttled(FunctionConfig function) {}

    @Override
    public void forwarded(FunctionConfig function) {}

    @Override
    public void event(String key, EventOutcome outcome, long ageNanos) {}

    @Override
    public void invocationRecord(String key, String destination, boolean sent) {
      records.add(key + " " + destination + " " + (sent ? "sent" : "failed"));
    }
  }

  private AsyncInvoker invoker(EnvironmentInvoker environments) {
    return invoker(environments, TestFunctions.config("f", null, 0, Duration.ofMinutes(5)));
  }

  private AsyncInvoker invoker(EnvironmentInvoker environments, FunctionConfig... functions) {
    return invoker(environments, Duration.ofMinutes(5), Duration.ofSeconds(5), functions);
  }

  private AsyncInvoker invoker(
      EnvironmentInvoker environments,
      Duration maxEventAge,
      Duration queueTimeout,
      FunctionConfig... functions) {
    registry =
        new FunctionRegistry(
            manager, environments, InvocationObserver.NONE, "default", "us-east-1", 10);
    for (FunctionConfig function : functions) {
      registry.deploy(function);
    }
    return new AsyncInvoker(
        registry,
        counts,
        journal,
        Duration.ZERO,
        maxEventAge,
        queueTimeout,
        senders,
        Duration.ZERO);
  }

  /** The function "f" with these destinations and retries. */
  private static FunctionConfig f(int retries, Destination onSuccess, Destination onFailure) {
    return TestFunctions.withEvents(
        TestFunctions.config("f", null, 0, Duration.ofMinutes(5)),
        new EventInvokeConfig(retries, Duration.ofMinutes(1), onSuccess, onFailure));
  }

  private static JsonNode json(String text) {
    try {
      return JSON.readTree(text);
    } catch (java.io.IOException e) {
      throw new AssertionError(text, e);
    }
  }

  private static InvocationRequest event(String id) {
    return new InvocationRequest(id, "{}".getBytes(), null, false);
  }

  private static InvocationResult result(Outcome outcome) {
    return new InvocationResult(
        outcome, "{}".getBytes(), outcome == Outcome.SUCCESS ? null : "Boom", null, 1, 0);
  }

  @AfterEach
  void close() {
    if (registry != null) {
      registry.close();
    }
  }

  @Test
  void anEventIsKeptBeforeItIsAcceptedAndForgottenOnceItRan() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    AsyncInvoker async =
        invoker(
            (environment, request) -> {
              release.await();
              return result(Outcome.SUCCESS);
            });

    async.submit("default/f", event("e1"));

    assertThat(journal.kept).containsExactly("e1");
    assertThat(journal.done).isEmpty();
    release.countDown();
    await().atMost(Duration.ofSeconds(5)).until(() -> journal.done.equals(List.of("e1")));
  }

  @Test
  void anEventThatCannotBeKeptIsNotAccepted() {
    AtomicInteger invoked = new AtomicInteger();
    AsyncInvoker async =
        invoker(
            (environment, request) -> {
              invoked.incrementAndGet();
              return result(Outcome.SUCCESS);
            });
    journal.refuse = true;

    assertThatThrownBy(() -> async.submit("default/f", event("e1")))
        .isInstanceOfSatisfying(ServiceException.class, e -> assertThat(e.status()).isEqualTo(500));
    assertThat(async.awaitQuiet(Duration.ofSeconds(1))).isTrue();
    assertThat(invoked).hasValue(0);
  }

  @Test
  void anEventDroppedAfterItsRetriesIsDoneWith() throws Exception {
    AtomicInteger attempts = new AtomicInteger();
    AsyncInvoker async =
        invoker(
            (environment, request) -> {
              attempts.incrementAndGet();
              return result(Outcome.ERROR);
            });

    async.submit("default/f", event("e1"));

    await().atMost(Duration.ofSeconds(5)).until(() -> journal.done.equals(List.of("e1")));
    assertThat(attempts).as("the first attempt and Lambda's two retries").hasValue(3);
  }

  @Test
  void aFunctionsAsyncInvokeConfigSetsItsRetries() throws Exception {
    AtomicInteger attempts = new AtomicInteger();
    AsyncInvoker async =
        invoker(
            (environment, request) -> {
              attempts.incrementAndGet();
              return result(Outcome.ERROR);
            },
            f(0, null, null));

    async.submit("default/f", event("e1"));

    await().atMost(Duration.ofSeconds(5)).until(() -> journal.done.equals(List.of("e1")));
    assertThat(attempts).as("maximumRetryAttempts 0: the first attempt only").hasValue(1);
  }

  @Test
  void anEventThatSucceededSendsItsRecordToOnSuccessBeforeItIsDoneWith() throws Exception {
    AsyncInvoker async =
        invoker(
            (environment, request) ->
                new InvocationResult(
                    Outcome.SUCCESS, "{\"answer\":42}".getBytes(), null, null, 1, 0),
            f(2, QUEUE, null));

    async.submit("default/f", new InvocationRequest("e1", "{\"order\":7}".getBytes(), null, false));

    await().atMost(Duration.ofSeconds(5)).until(() -> journal.done.equals(List.of("e1")));
    assertThat(senders.sent).hasSize(1);
    assertThat(senders.sent.getFirst().namespace()).isEqualTo("default");
    assertThat(senders.sent.getFirst().destination()).isEqualTo(QUEUE);
    JsonNode record = senders.sent.getFirst().record();
    assertThat(record.at("/requestContext/requestId").asText()).isEqualTo("e1");
    assertThat(record.at("/requestContext/functionArn").asText())
        .isEqualTo("arn:aws:lambda:us-east-1:default:function:f:$LATEST");
    assertThat(record.at("/requestContext/condition").asText()).isEqualTo("Success");
    assertThat(record.at("/requestContext/approximateInvokeCount").asInt()).isEqualTo(1);
    assertThat(record.at("/requestPayload/order").asInt()).isEqualTo(7);
    assertThat(record.at("/responsePayload/answer").asInt()).isEqualTo(42);
    assertThat(record.at("/responseContext").has("functionError")).isFalse();
    assertThat(counts.records).containsExactly("default/f onSuccess sent");
  }

  @Test
  void anEventWhoseRetriesAreExhaustedSendsItsRecordToOnFailure() throws Exception {
    AsyncInvoker async =
        invoker((environment, request) -> result(Outcome.ERROR), f(1, null, QUEUE));

    async.submit("default/f", event("e1"));

    await().atMost(Duration.ofSeconds(5)).until(() -> journal.done.equals(List.of("e1")));
    JsonNode record = senders.sent.getFirst().record();
    assertThat(record.at("/requestContext/condition").asText()).isEqualTo("RetriesExhausted");
    assertThat(record.at("/requestContext/approximateInvokeCount").asInt())
        .as("one attempt, one retry")
        .isEqualTo(2);
    assertThat(record.at("/responseContext/statusCode").asInt()).isEqualTo(200);
    assertThat(record.at("/responseContext/functionError").asText()).isEqualTo("Unhandled");
    assertThat(counts.records).containsExactly("default/f onFailure sent");
  }

  @Test
  void anEventOlderThanItsMaximumAgeSendsItsRecordToOnFailure() throws Exception {
    FunctionConfig throttled =
        TestFunctions.withEvents(
            TestFunctions.config("f", 0, 0, Duration.ofMinutes(5)),
            new EventInvokeConfig(2, Duration.ofMinutes(1), null, QUEUE));
    AsyncInvoker async =
        invoker(
            (environment, request) -> result(Outcome.SUCCESS),
            Duration.ofMillis(200),
            Duration.ofMillis(50),
            throttled);

    async.submit("default/f", event("e1"));

    await().atMost(Duration.ofSeconds(5)).until(() -> journal.done.equals(List.of("e1")));
    JsonNode record = senders.sent.getFirst().record();
    assertThat(record.at("/requestContext/condition").asText()).isEqualTo("EventAgeExceeded");
    assertThat(record.at("/requestContext/approximateInvokeCount").asInt())
        .as("throttled: never ran")
        .isZero();
    assertThat(record.has("responsePayload")).isFalse();
  }

  @Test
  void aFunctionDestinationGetsTheRecordAsAnEventOfItsOwn() throws Exception {
    List<String> audited = new CopyOnWriteArrayList<>();
    AsyncInvoker async =
        invoker(
            (environment, request) -> {
              if (environment.function().name().equals("audit")) {
                audited.add(new String(request.payloadBytes()));
              }
              return result(Outcome.SUCCESS);
            },
            f(2, new Destination.ToFunction("audit"), null),
            TestFunctions.config("audit", null, 0, Duration.ofMinutes(5)));

    async.submit("default/f", event("e1"));

    await().atMost(Duration.ofSeconds(5)).until(() -> audited.size() == 1);
    assertThat(json(audited.getFirst()).at("/requestContext/requestId").asText()).isEqualTo("e1");
    await().atMost(Duration.ofSeconds(5)).until(() -> journal.done.size() == 2);
    assertThat(journal.kept)
        .as("the record is an Event of its own, kept as every Event is")
        .hasSize(2)
        .first()
        .isEqualTo("e1");
  }

  @Test
  void aRecordThatCannotBeSentIsTriedAgainThenCountedAndTheEventIsDoneWith() throws Exception {
    AsyncInvoker async =
        invoker((environment, request) -> result(Outcome.SUCCESS), f(2, QUEUE, null));
    senders.failures.set(1);

    async.submit("default/f", event("e1"));

    await().atMost(Duration.ofSeconds(5)).until(() -> journal.done.equals(List.of("e1")));
    assertThat(senders.sent).as("the second attempt went through").hasSize(1);
    senders.failures.set(EventDestinations.ATTEMPTS);

    async.submit("default/f", event("e2"));

    await().atMost(Duration.ofSeconds(5)).until(() -> journal.done.equals(List.of("e1", "e2")));
    assertThat(senders.sent).hasSize(1);
    assertThat(counts.records)
        .containsExactly("default/f onSuccess sent", "default/f onSuccess failed");
  }

  @Test
  void aMissingFunctionDestinationFailsTheSend() throws Exception {
    AsyncInvoker async =
        invoker(
            (environment, request) -> result(Outcome.SUCCESS),
            f(2, new Destination.ToFunction("nobody"), null));

    async.submit("default/f", event("e1"));

    await().atMost(Duration.ofSeconds(5)).until(() -> journal.done.equals(List.of("e1")));
    assertThat(journal.kept).as("no Event for a function not served").containsExactly("e1");
    assertThat(counts.records).containsExactly("default/f onSuccess failed");
  }

  @Test
  void anEventAbandonedWhenItsReplicaDiesIsLeftToItsCopy() throws Exception {
    CountDownLatch running = new CountDownLatch(1);
    AsyncInvoker async =
        invoker(
            (environment, request) -> {
              running.countDown();
              new CountDownLatch(1).await(); // until interrupted
              return result(Outcome.SUCCESS);
            });
    async.submit("default/f", event("e1"));
    running.await();

    async.abandon();

    assertThat(async.awaitQuiet(Duration.ofSeconds(5))).isTrue();
    assertThat(journal.done).as("its copy must stay to be run elsewhere").isEmpty();
  }
}
