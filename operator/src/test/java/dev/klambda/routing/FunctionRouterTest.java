package dev.klambda.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.klambda.environments.Environment;
import dev.klambda.environments.EnvironmentInvoker;
import dev.klambda.environments.EnvironmentUnavailableException;
import dev.klambda.environments.InvocationRequest;
import dev.klambda.environments.InvocationResult;
import dev.klambda.environments.InvocationResult.Outcome;
import dev.klambda.function.FunctionConfig;
import dev.klambda.function.TestFunctions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class FunctionRouterTest {
  private final TestingEnvironmentManager manager = new TestingEnvironmentManager();

  private static InvocationResult result(Outcome outcome) {
    return new InvocationResult(outcome, "{}".getBytes(), null, null, 1000, 0);
  }

  private static InvocationRequest request(int n) {
    return new InvocationRequest("r" + n, "{}".getBytes(), null, false);
  }

  private static long in(Duration duration) {
    return System.nanoTime() + duration.toNanos();
  }

  private FunctionRouter router(FunctionConfig function, EnvironmentInvoker invoker) {
    return router(function, invoker, 1000);
  }

  private FunctionRouter router(
      FunctionConfig function, EnvironmentInvoker invoker, int accountLimit) {
    return new FunctionRouter(function, manager, invoker, InvocationObserver.NONE, accountLimit);
  }

  /** A router whose functions wait in the queue at their limit ({@code --queue-at-limit true}). */
  private FunctionRouter queueing(FunctionConfig function, EnvironmentInvoker invoker) {
    return new FunctionRouter(function, manager, invoker, InvocationObserver.NONE, 1000, true);
  }

  @Test
  void aBurstWaitingForItsColdStartsIsNotThrottledAtTheQueueDeadline() throws Exception {
    manager.startsDone = new CompletableFuture<>();
    FunctionRouter router =
        router(
            TestFunctions.config("f", 5, 0, Duration.ofMinutes(5)),
            (env, req) -> result(Outcome.SUCCESS));
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<InvocationResult>> burst = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        int n = i;
        burst.add(pool.submit(() -> router.invoke(request(n), in(Duration.ofMillis(50)))));
      }
      Thread.sleep(300); // the starts outlast every queue deadline

      manager.startsDone.complete(null);

      for (Future<InvocationResult> answer : burst) {
        assertThat(answer.get(5, TimeUnit.SECONDS).outcome()).isEqualTo(Outcome.SUCCESS);
      }
      assertThat(manager.started).hasSize(5);
    }
  }

  @Test
  void atTheAccountLimitA429NamesTheAccountLimit() throws Exception {
    assertThrottledAtTheLimit(
        TestFunctions.config("f", null, 0, Duration.ofMinutes(5)),
        1,
        "ConcurrentInvocationLimitExceeded",
        false);
  }

  @Test
  void atItsLimitAFunctionThrottlesAtOnceAsLambdaDoesNotAtTheQueueDeadline() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    FunctionRouter router =
        router(
            TestFunctions.config("f", 1, 0, Duration.ofMinutes(5)),
            (env, req) -> {
              release.await();
              return result(Outcome.SUCCESS);
            });
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      Future<InvocationResult> first =
          pool.submit(() -> router.invoke(request(1), in(Duration.ofMinutes(1))));
      while (router.counts().busy() == 0) {
        Thread.sleep(1);
      }
      // a minute of queue time left, and the only environment busy until released below: a
      // queueing router would still be waiting when get() gives up
      Future<InvocationResult> second =
          pool.submit(() -> router.invoke(request(2), in(Duration.ofMinutes(1))));
      assertThatThrownBy(() -> second.get(10, TimeUnit.SECONDS))
          .hasCauseInstanceOf(ServiceException.class)
          .satisfies(
              e ->
                  assertThat(((ServiceException) e.getCause()).reason())
                      .isEqualTo("ReservedFunctionConcurrentInvocationLimitExceeded"));
      release.countDown();
      assertThat(first.get(5, TimeUnit.SECONDS).outcome()).isEqualTo(Outcome.SUCCESS);
    }
  }

  @Test
  void aFunctionThatQueuesAtItsLimitSaysSoItself() throws Exception {
    FunctionConfig plain = TestFunctions.config("f", 1, 0, Duration.ofMinutes(5));
    FunctionConfig queues =
        new FunctionConfig(
            plain.namespace(),
            plain.name(),
            plain.uid(),
            plain.generation(),
            plain.runtime(),
            plain.handler(),
            plain.code(),
            plain.memoryMB(),
            plain.timeout(),
            plain.initTimeout(),
            plain.variables(),
            plain.reservedConcurrency(),
            plain.provisionedConcurrency(),
            plain.idleTimeout(),
            plain.url(),
            true,
            plain.eventInvokeConfig());
    assertThrottledAtTheLimit(
        queues, 1000, "ReservedFunctionConcurrentInvocationLimitExceeded", false);
  }

  /**
   * One invocation holds the only environment the limit allows; a second one gets 429 (at its queue
   * deadline, where it queues), with Lambda's reason for that limit.
   */
  private void assertThrottledAtTheLimit(
      FunctionConfig function, int accountLimit, String reason, boolean queueing) throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    EnvironmentInvoker held =
        (env, req) -> {
          release.await();
          return result(Outcome.SUCCESS);
        };
    FunctionRouter router =
        queueing ? queueing(function, held) : router(function, held, accountLimit);
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      Future<InvocationResult> first =
          pool.submit(() -> router.invoke(request(1), in(Duration.ofSeconds(5))));
      while (router.counts().busy() == 0) {
        Thread.sleep(1);
      }

      assertThatThrownBy(() -> router.invoke(request(2), in(Duration.ofMillis(50))))
          .isInstanceOfSatisfying(
              ServiceException.class,
              e -> {
                assertThat(e.status()).isEqualTo(429);
                assertThat(e.type()).isEqualTo("TooManyRequestsException");
                assertThat(e.reason()).isEqualTo(reason);
              });
      release.countDown();
      assertThat(first.get(5, TimeUnit.SECONDS).outcome()).isEqualTo(Outcome.SUCCESS);
    }
  }

  /**
   * The agent's connection broke with the invocation on it: Lambda's 500 ServiceException, not a
   * retry.
   */
  @Test
  void anEnvironmentLostDuringTheInvocationIsAServiceException() {
    FunctionRouter router =
        router(
            TestFunctions.config("f", null, 0, Duration.ofMinutes(5)),
            (env, req) -> {
              throw new java.io.IOException("connection reset");
            },
            1000);

    assertThatThrownBy(() -> router.invoke(request(1), in(Duration.ofSeconds(5))))
        .isInstanceOfSatisfying(
            ServiceException.class,
            e -> {
              assertThat(e.status()).isEqualTo(500);
              assertThat(e.type()).isEqualTo("ServiceException");
              assertThat(e.getMessage())
                  .startsWith("The execution environment was lost during the invocation: ");
            });
  }

  @Test
  void reusesTheIdleEnvironment() throws Exception {
    FunctionRouter router =
        router(
            TestFunctions.config("f", null, 0, Duration.ofMinutes(5)),
            (env, req) -> result(Outcome.SUCCESS));

    router.invoke(request(1), in(Duration.ofSeconds(5)));
    router.invoke(request(2), in(Duration.ofSeconds(5)));

    assertThat(manager.started).hasSize(1);
    assertThat(router.counts()).isEqualTo(new FunctionRouter.Counts(0, 1, 0, 0));
  }

  @Test
  void neverGivesOneEnvironmentTwoInvocationsAndStaysWithinTheLimit() throws Exception {
    Set<Environment> inUse = ConcurrentHashMap.newKeySet();
    AtomicInteger overlaps = new AtomicInteger();
    FunctionRouter router =
        queueing(
            TestFunctions.config("f", 3, 0, Duration.ofMinutes(5)),
            (env, req) -> {
              if (!inUse.add(env)) {
                overlaps.incrementAndGet();
              }
              Thread.sleep(2);
              inUse.remove(env);
              return result(Outcome.SUCCESS);
            });

    List<Future<InvocationResult>> results = new ArrayList<>();
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < 300; i++) {
        int n = i;
        results.add(pool.submit(() -> router.invoke(request(n), in(Duration.ofSeconds(30)))));
      }
    }
    for (Future<InvocationResult> f : results) {
      assertThat(f.get().outcome()).isEqualTo(Outcome.SUCCESS);
    }
    assertThat(overlaps).hasValue(0);
    assertThat(manager.started).hasSizeLessThanOrEqualTo(3);
  }

  @Test
  void aQueueingFunctionAnswers429WhenNoEnvironmentFreesUpBeforeTheQueueDeadline()
      throws Exception {
    assertThrottledAtTheLimit(
        TestFunctions.config("f", 1, 0, Duration.ofMinutes(5)),
        1000,
        "ReservedFunctionConcurrentInvocationLimitExceeded",
        true);
  }

  @Test
  void aWaitingRequestGetsTheEnvironmentThatFreesUp() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    FunctionRouter router =
        queueing(
            TestFunctions.config("f", 1, 0, Duration.ofMinutes(5)),
            (env, req) -> {
              if (req.requestId().equals("r1")) {
                release.await();
              }
              return result(Outcome.SUCCESS);
            });
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      Future<InvocationResult> first =
          pool.submit(() -> router.invoke(request(1), in(Duration.ofSeconds(5))));
      while (router.counts().busy() == 0) {
        Thread.sleep(1);
      }
      Future<InvocationResult> second =
          pool.submit(() -> router.invoke(request(2), in(Duration.ofSeconds(5))));
      release.countDown();

      assertThat(second.get(5, TimeUnit.SECONDS).outcome()).isEqualTo(Outcome.SUCCESS);
      assertThat(first.get().outcome()).isEqualTo(Outcome.SUCCESS);
      assertThat(manager.started).hasSize(1);
    }
  }

  @Test
  void reservedConcurrencyZeroThrottlesEverything() {
    FunctionRouter router =
        router(
            TestFunctions.config("f", 0, 0, Duration.ofMinutes(5)),
            (env, req) -> result(Outcome.SUCCESS));

    assertThatThrownBy(() -> router.invoke(request(1), in(Duration.ofSeconds(5))))
        .isInstanceOfSatisfying(ServiceException.class, e -> assertThat(e.status()).isEqualTo(429));
    assertThat(manager.started).isEmpty();
  }

  @Test
  void stopsIdleEnvironmentsDownToTheProvisionedCount() throws Exception {
    FunctionRouter router =
        router(
            TestFunctions.config("f", null, 1, Duration.ofSeconds(60)),
            (env, req) -> {
              Thread.sleep(20);
              return result(Outcome.SUCCESS);
            });
    router.ensureProvisioned();
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < 3; i++) {
        int n = i;
        pool.submit(() -> router.invoke(request(n), in(Duration.ofSeconds(5))));
      }
    }
    int before = router.counts().idle();
    assertThat(before).isGreaterThan(1);

    router.stopIdle(System.nanoTime());
    assertThat(manager.stopped).as("nothing idle long enough yet").isEmpty();

    router.stopIdle(System.nanoTime() + Duration.ofSeconds(61).toNanos());
    assertThat(router.counts()).isEqualTo(new FunctionRouter.Counts(0, 1, 0, 0));
    assertThat(manager.stopped).hasSize(before - 1);
    assertThat(manager.provisionedStarts).hasValue(1);
  }

  @Test
  void aFunctionWithoutProvisionedConcurrencyScalesToZero() throws Exception {
    FunctionRouter router =
        router(
            TestFunctions.config("f", null, 0, Duration.ofSeconds(1)),
            (env, req) -> result(Outcome.SUCCESS));
    router.invoke(request(1), in(Duration.ofSeconds(5)));

    router.stopIdle(System.nanoTime() + Duration.ofSeconds(2).toNanos());

    assertThat(router.counts()).isEqualTo(new FunctionRouter.Counts(0, 0, 0, 0));
    assertThat(manager.running()).isZero();
  }

  @Test
  void aWarmInvocationRunsAtOnceOnTheIdleEnvironmentAndGivesItBack() throws Exception {
    FunctionRouter router =
        router(
            TestFunctions.config("f", null, 0, Duration.ofMinutes(5)),
            (env, req) -> result(Outcome.SUCCESS));
    assertThat(router.tryInvokeNow(request(1)))
        .as("nothing idle: the caller queues instead")
        .isNull();
    router.invoke(request(1), in(Duration.ofSeconds(5)));

    CompletableFuture<InvocationResult> now = router.tryInvokeNow(request(2));

    assertThat(now).isNotNull();
    assertThat(now.get(5, TimeUnit.SECONDS).outcome()).isEqualTo(Outcome.SUCCESS);
    assertThat(manager.started).hasSize(1);
    assertThat(router.counts()).isEqualTo(new FunctionRouter.Counts(0, 1, 0, 0));
  }

  @Test
  void aWarmInvocationAnEnvironmentRefusesFailsSoTheCallerQueuesAndTheEnvironmentStops()
      throws Exception {
    Map<Environment, Boolean> refused = new ConcurrentHashMap<>();
    FunctionRouter router =
        router(
            TestFunctions.config("f", null, 0, Duration.ofMinutes(5)),
            (env, req) -> {
              if (req.requestId().equals("r2")) {
                refused.put(env, true);
                throw new EnvironmentUnavailableException("shutting down", null);
              }
              return result(Outcome.SUCCESS);
            });
    router.invoke(request(1), in(Duration.ofSeconds(5)));

    CompletableFuture<InvocationResult> now = router.tryInvokeNow(request(2));

    assertThatThrownBy(() -> now.get(5, TimeUnit.SECONDS))
        .hasCauseInstanceOf(EnvironmentUnavailableException.class);
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> manager.stopped.containsAll(refused.keySet()));
    assertThat(router.counts()).isEqualTo(new FunctionRouter.Counts(0, 0, 0, 0));
  }

  @Test
  void anUnavailableEnvironmentIsDroppedAndTheRequestGoesToAnother() throws Exception {
    Map<Environment, Boolean> seen = new ConcurrentHashMap<>();
    FunctionRouter router =
        router(
            TestFunctions.config("f", null, 0, Duration.ofMinutes(5)),
            (env, req) -> {
              if (seen.isEmpty()) {
                seen.put(env, true);
                throw new EnvironmentUnavailableException("shutting down", null);
              }
              return result(Outcome.SUCCESS);
            });

    assertThat(router.invoke(request(1), in(Duration.ofSeconds(5))).outcome())
        .isEqualTo(Outcome.SUCCESS);
    assertThat(manager.started).hasSize(2);
    assertThat(manager.stopped).containsExactlyElementsOf(seen.keySet());
  }

  @Test
  void anEnvironmentWhoseInitFailedIsNotReused() throws Exception {
    FunctionRouter router =
        router(
            TestFunctions.config("f", null, 0, Duration.ofMinutes(5)),
            (env, req) -> result(Outcome.INIT_ERROR));

    router.invoke(request(1), in(Duration.ofSeconds(5)));
    router.invoke(request(2), in(Duration.ofSeconds(5)));

    assertThat(manager.started).hasSize(2);
    assertThat(manager.stopped).hasSize(2);
  }

  @Test
  void aFailedStartIsAnsweredWithAServiceError() {
    manager.startFailure = new IllegalStateException("no agent jar");
    FunctionRouter router =
        router(
            TestFunctions.config("f", null, 0, Duration.ofMinutes(5)),
            (env, req) -> result(Outcome.SUCCESS));

    assertThatThrownBy(() -> router.invoke(request(1), in(Duration.ofSeconds(5))))
        .isInstanceOfSatisfying(
            ServiceException.class,
            e -> {
              assertThat(e.status()).isEqualTo(500);
              assertThat(e.getMessage()).contains("no agent jar");
            });
  }

  @Test
  void anEnvironmentThatDiedWhileIdleIsReplaced() throws Exception {
    FunctionRouter router =
        router(
            TestFunctions.config("f", null, 0, Duration.ofMinutes(5)),
            (env, req) -> result(Outcome.SUCCESS));
    router.invoke(request(1), in(Duration.ofSeconds(5)));
    manager.started.getFirst().terminated().complete(null);

    router.invoke(request(2), in(Duration.ofSeconds(5)));

    assertThat(manager.started).hasSize(2);
  }

  /** A router with {@code idle} idle environments (provisioned, so the sweep keeps them). */
  private FunctionRouter withIdle(int reserved, int idle, EnvironmentInvoker invoker) {
    FunctionRouter router =
        router(TestFunctions.config("f", reserved, idle, Duration.ofSeconds(1)), invoker);
    router.ensureProvisioned();
    await().atMost(Duration.ofSeconds(5)).until(() -> router.counts().idle() == idle);
    return router;
  }

  @Test
  void lendsIdleEnvironmentsButKeepsOneReplicasShareOfTheLimit() {
    FunctionRouter router = withIdle(4, 3, (env, req) -> result(Outcome.SUCCESS));

    Environment first = router.lend("gateway-b", 2);
    Environment second = router.lend("gateway-c", 2);

    assertThat(first).isNotNull();
    assertThat(second).isNotNull().isNotSameAs(first);
    assertThat(router.lend("gateway-b", 2))
        .as("4 less one replica's share of 2 is 2, lent already")
        .isNull();
    assertThat(router.counts()).isEqualTo(new FunctionRouter.Counts(0, 1, 0, 2));
    assertThat(withIdle(1, 1, (env, req) -> result(Outcome.SUCCESS)).lend("gateway-b", 2))
        .as("a limit of 1 leaves nothing to lend")
        .isNull();
  }

  @Test
  void aLentEnvironmentCountsAgainstTheLimit() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    FunctionRouter router =
        withIdle(
            2,
            1,
            (env, req) -> {
              release.await();
              return result(Outcome.SUCCESS);
            });
    assertThat(router.lend("gateway-b", 2)).isNotNull();
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      Future<InvocationResult> running =
          pool.submit(() -> router.invoke(request(1), in(Duration.ofSeconds(5))));
      await().atMost(Duration.ofSeconds(5)).until(() -> router.counts().busy() == 1);

      assertThatThrownBy(() -> router.invoke(request(2), in(Duration.ofSeconds(5))))
          .as("one lent and one busy: reservedConcurrency 2 is reached")
          .isInstanceOfSatisfying(
              ServiceException.class, e -> assertThat(e.status()).isEqualTo(429));
      release.countDown();
      assertThat(running.get(5, TimeUnit.SECONDS).outcome()).isEqualTo(Outcome.SUCCESS);
    }
    assertThat(manager.started).hasSize(2);
  }

  @Test
  void givenBackIdlePastItsTimeoutSinceItsLastInvocationItStopsAtTheNextSweep() throws Exception {
    FunctionRouter router =
        router(
            TestFunctions.config("f", null, 0, Duration.ofSeconds(10)),
            (env, req) -> result(Outcome.SUCCESS));
    router.invoke(request(1), in(Duration.ofSeconds(5)));
    router.invoke(request(2), in(Duration.ofSeconds(5)));
    Environment lent = router.lend("gateway-b", 2);
    assertThat(lent).isNotNull();

    assertThat(router.takeBack(lent.id(), true, Duration.ofSeconds(11).toNanos())).isTrue();
    assertThat(router.takeBack(lent.id(), true, 0)).as("given back once").isFalse();
    router.stopIdle(System.nanoTime());

    assertThat(manager.stopped).containsExactly(lent);
    assertThat(router.counts()).isEqualTo(new FunctionRouter.Counts(0, 0, 0, 0));
  }

  @Test
  void givenBackUnusableItStopsAndAWaitingRequestGetsANewOne() throws Exception {
    FunctionRouter router = withIdle(4, 1, (env, req) -> result(Outcome.SUCCESS));
    Environment lent = router.lend("gateway-b", 2);

    router.takeBack(lent.id(), false, 0);

    assertThat(manager.stopped).containsExactly(lent);
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () ->
                assertThat(router.counts())
                    .as("the provisioned floor is kept")
                    .isEqualTo(new FunctionRouter.Counts(0, 1, 0, 0)));
  }

  @Test
  void whatADeadBorrowerHeldIsReclaimedAndAClosedRouterStopsWhatComesBack() {
    FunctionRouter router = withIdle(4, 2, (env, req) -> result(Outcome.SUCCESS));
    Environment toB = router.lend("gateway-b", 2);
    Environment toC = router.lend("gateway-c", 2);

    assertThat(router.reclaim(borrower -> !borrower.equals("gateway-b"))).containsExactly(toB.id());
    assertThat(router.counts()).isEqualTo(new FunctionRouter.Counts(0, 1, 0, 1));

    router.close();
    assertThat(router.takeBack(toC.id(), true, 0)).isTrue();
    assertThat(manager.stopped).contains(toB, toC);
  }

  @Test
  void withNothingIdleItRecallsALoanBeforeItStartsAnEnvironment() throws Exception {
    AtomicReference<FunctionRouter> router = new AtomicReference<>();
    AtomicReference<Environment> lent = new AtomicReference<>();
    List<String> askedBack = new CopyOnWriteArrayList<>();
    router.set(
        new FunctionRouter(
            TestFunctions.config("f", null, 0, Duration.ofMinutes(5)),
            manager,
            (env, req) -> result(Outcome.SUCCESS),
            InvocationObserver.NONE,
            1000,
            false,
            (function, borrowers) -> {
              askedBack.addAll(borrowers);
              router.get().takeBack(lent.get().id(), true, 0);
              return CompletableFuture.completedFuture(null);
            }));
    router.get().invoke(request(1), in(Duration.ofSeconds(5)));
    lent.set(router.get().lend("gateway-b", 2));

    router.get().invoke(request(2), in(Duration.ofSeconds(5)));

    assertThat(askedBack).containsExactly("gateway-b");
    assertThat(manager.started).as("the recalled environment ran it: no cold start").hasSize(1);
    assertThat(router.get().counts()).isEqualTo(new FunctionRouter.Counts(0, 1, 0, 0));
  }

  @Test
  void aBorrowerThatDoesNotAnswerCostsAColdStartNotTheInvocation() throws Exception {
    FunctionRouter router =
        new FunctionRouter(
            TestFunctions.config("f", null, 0, Duration.ofMinutes(5)),
            manager,
            (env, req) -> result(Outcome.SUCCESS),
            InvocationObserver.NONE,
            1000,
            false,
            (function, borrowers) -> new CompletableFuture<>());
    router.invoke(request(1), in(Duration.ofSeconds(5)));
    router.lend("gateway-b", 2);

    assertThat(router.invoke(request(2), in(Duration.ofSeconds(5))).outcome())
        .isEqualTo(Outcome.SUCCESS);

    assertThat(manager.started).hasSize(2);
    assertThat(router.counts()).isEqualTo(new FunctionRouter.Counts(0, 1, 0, 1));
  }

  @Test
  void anInvocationForwardedByTheBorrowerDoesNotRecallItsLoans() throws Exception {
    List<String> askedBack = new CopyOnWriteArrayList<>();
    FunctionRouter router =
        new FunctionRouter(
            TestFunctions.config("f", null, 0, Duration.ofMinutes(5)),
            manager,
            (env, req) -> result(Outcome.SUCCESS),
            InvocationObserver.NONE,
            1000,
            false,
            (function, borrowers) -> {
              askedBack.addAll(borrowers);
              return CompletableFuture.completedFuture(null);
            });
    router.invoke(request(1), in(Duration.ofSeconds(5)));
    router.lend("gateway-b", 2);

    router.invokeForwarded(request(2), in(Duration.ofSeconds(5)));

    assertThat(askedBack).as("it forwarded because its loans were busy").isEmpty();
    assertThat(manager.started).hasSize(2);
  }
}
