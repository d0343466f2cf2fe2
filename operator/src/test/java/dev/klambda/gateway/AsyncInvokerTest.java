package dev.klambda.gateway;

import dev.klambda.function.FunctionConfig;
import dev.klambda.function.EventInvokeConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.klambda.environments.EnvironmentInvoker;
import dev.klambda.environments.InvocationRequest;
import dev.klambda.environments.InvocationResult;
import dev.klambda.environments.InvocationResult.Outcome;
import dev.klambda.function.TestFunctions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Events and their journal: kept before they are accepted, forgotten once done with, never before. */
class AsyncInvokerTest {
  private final TestingEnvironmentManager manager = new TestingEnvironmentManager();
  private final TestingEventJournal journal = new TestingEventJournal();
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

  private AsyncInvoker invoker(EnvironmentInvoker environments) {
    return invoker(environments, TestFunctions.config("f", null, 0, Duration.ofMinutes(5)));
  }

  private AsyncInvoker invoker(EnvironmentInvoker environments, FunctionConfig function) {
    registry = new FunctionRegistry(manager, environments, InvocationObserver.NONE, "default", "us-east-1", 10);
    registry.deploy(function);
    return new AsyncInvoker(registry, InvocationObserver.NONE, journal, Duration.ZERO, Duration.ofMinutes(5),
        Duration.ofSeconds(5));
  }

  private static InvocationRequest event(String id) {
    return new InvocationRequest(id, "{}".getBytes(), null, false);
  }

  private static InvocationResult result(Outcome outcome) {
    return new InvocationResult(outcome, "{}".getBytes(), outcome == Outcome.SUCCESS ? null : "Boom", null, 1, 0, 1, 1);
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
    AsyncInvoker async = invoker((environment, request) -> {
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
    AsyncInvoker async = invoker((environment, request) -> {
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
    AsyncInvoker async = invoker((environment, request) -> {
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
    FunctionConfig plain = TestFunctions.config("f", null, 0, Duration.ofMinutes(5));
    FunctionConfig noRetries = new FunctionConfig(plain.namespace(), plain.name(), plain.uid(), plain.generation(),
        plain.runtime(), plain.handler(), plain.code(), plain.memoryMB(), plain.timeout(), plain.initTimeout(),
        plain.variables(), plain.reservedConcurrency(), plain.provisionedConcurrency(), plain.idleTimeout(),
        plain.url(), null, new EventInvokeConfig(0, Duration.ofMinutes(1), null, null));
    AsyncInvoker async = invoker((environment, request) -> {
      attempts.incrementAndGet();
      return result(Outcome.ERROR);
    }, noRetries);

    async.submit("default/f", event("e1"));

    await().atMost(Duration.ofSeconds(5)).until(() -> journal.done.equals(List.of("e1")));
    assertThat(attempts).as("maximumRetryAttempts 0: the first attempt only").hasValue(1);
  }

  @Test
  void anEventAbandonedWhenItsReplicaDiesIsLeftToItsCopy() throws Exception {
    CountDownLatch running = new CountDownLatch(1);
    AsyncInvoker async = invoker((environment, request) -> {
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
