package dev.klambda.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.klambda.environments.EnvironmentUnavailableException;
import dev.klambda.environments.InvocationRequest;
import dev.klambda.environments.InvocationResult;
import dev.klambda.environments.InvocationResult.Outcome;
import dev.klambda.function.FunctionConfig;
import dev.klambda.function.TestFunctions;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The borrower's side of loans, against an owner that lends what the test queues. */
class LoansTest {
  private static final URI OWNER = URI.create("http://10.0.0.1:8080");
  private static final URI NEW_OWNER = URI.create("http://10.0.0.2:8080");
  private static final FunctionConfig FUNCTION =
      TestFunctions.config("f", null, 0, Duration.ofMinutes(5));

  /** An owner: lends the loans queued, records what comes back. */
  private static final class TestingOwner implements LoanRequests {
    final Queue<Loan> toLend = new ConcurrentLinkedQueue<>();
    final List<String> asked = new CopyOnWriteArrayList<>();
    final List<String> givenBack = new CopyOnWriteArrayList<>();

    @Override
    public CompletableFuture<Loan> borrow(URI owner, String key, String borrower) {
      asked.add(borrower + "@" + owner);
      return CompletableFuture.completedFuture(toLend.poll());
    }

    @Override
    public CompletableFuture<Void> giveBack(
        URI lender, String key, String environmentId, boolean reusable, long idleMillis) {
      givenBack.add(environmentId + (reusable ? "" : " unusable") + "@" + lender);
      return CompletableFuture.completedFuture(null);
    }
  }

  private final TestingOwner owner = new TestingOwner();
  private volatile URI routedBy = OWNER;
  private final Ownership ownership =
      new Ownership() {
        @Override
        public URI ownerOf(String key) {
          return routedBy;
        }

        @Override
        public String self() {
          return "gateway-b";
        }
      };

  private static InvocationRequest request(int n) {
    return new InvocationRequest("r" + n, "{}".getBytes(), null, false);
  }

  private static InvocationResult success() {
    return new InvocationResult(Outcome.SUCCESS, "{}".getBytes(), null, null, 1000, 0);
  }

  private static Loan loan(String id, long generation) {
    return new Loan(id, generation, URI.create("http://10.1.0.7:9000"), "token");
  }

  private Loans loans() {
    return new Loans((env, req) -> success(), InvocationObserver.NONE, owner, ownership);
  }

  /** Borrows {@code id} of the function's generation, as after a forwarded invocation. */
  private void borrow(Loans loans, String id) {
    owner.toLend.add(loan(id, FUNCTION.generation()));
    loans.want(FUNCTION, OWNER);
  }

  @Test
  void aLoanRunsInvocationsDirectlyOneAtATime() throws Exception {
    Loans loans = loans();
    assertThat(loans.tryInvokeNow(FUNCTION, OWNER, request(0))).as("nothing borrowed").isNull();
    borrow(loans, "env-1");

    CompletableFuture<InvocationResult> first = loans.tryInvokeNow(FUNCTION, OWNER, request(1));

    assertThat(first).isNotNull();
    assertThat(loans.tryInvokeNow(FUNCTION, OWNER, request(2)))
        .as("its one loan is busy")
        .satisfiesAnyOf(
            second -> assertThat(second).isNull(), second -> assertThat(first).isDone());
    assertThat(first.get(5, TimeUnit.SECONDS).outcome()).isEqualTo(Outcome.SUCCESS);
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> loans.tryInvokeNow(FUNCTION, OWNER, request(3)) != null);
    assertThat(owner.asked).containsExactly("gateway-b@" + OWNER);
  }

  @Test
  void idleForAQuarterSecondItGoesBackSayingHowLong() {
    Loans loans = loans();
    borrow(loans, "env-1");

    loans.giveBackIdle(System.nanoTime());
    assertThat(owner.givenBack).as("just lent").isEmpty();

    loans.giveBackIdle(System.nanoTime() + Loans.GIVE_BACK_AFTER_NANOS);
    assertThat(owner.givenBack).containsExactly("env-1@" + OWNER);
    assertThat(loans.tryInvokeNow(FUNCTION, OWNER, request(1))).isNull();
  }

  @Test
  void aLoanWhoseAgentRefusesGoesBackToBeStopped() throws Exception {
    Loans loans =
        new Loans(
            (env, req) -> {
              throw new EnvironmentUnavailableException("refused", null);
            },
            InvocationObserver.NONE,
            owner,
            ownership);
    borrow(loans, "env-1");

    CompletableFuture<InvocationResult> refused = loans.tryInvokeNow(FUNCTION, OWNER, request(1));

    assertThat(refused)
        .failsWithin(Duration.ofSeconds(5))
        .withThrowableOfType(ExecutionException.class)
        .withCauseInstanceOf(EnvironmentUnavailableException.class);
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> owner.givenBack.equals(List.of("env-1 unusable@" + OWNER)));
  }

  @Test
  void loansFromAReplicaThatNoLongerRoutesTheFunctionAreForgottenNotGivenBack() {
    Loans loans = loans();
    borrow(loans, "env-1");

    routedBy = NEW_OWNER;
    loans.follow();

    assertThat(loans.tryInvokeNow(FUNCTION, NEW_OWNER, request(1))).isNull();
    assertThat(owner.givenBack).as("the new owner adopted it").isEmpty();
  }

  @Test
  void aNewGenerationGivesBackWhatWasBorrowedForTheOldOne() {
    Loans loans = loans();
    borrow(loans, "env-1");

    loans.giveBackAll(FUNCTION.key());

    assertThat(owner.givenBack).containsExactly("env-1@" + OWNER);
    owner.toLend.add(loan("env-2", FUNCTION.generation() - 1));
    loans.want(FUNCTION, OWNER);
    assertThat(owner.givenBack)
        .as("a loan of another generation than this replica serves goes straight back")
        .containsExactly("env-1@" + OWNER, "env-2@" + OWNER);
  }

  @Test
  void recalledItGoesToTheOwnerAndNoneIsAskedForForASecond() {
    Loans loans = loans();
    borrow(loans, "env-1");

    Loan.Recalled back = loans.recall(FUNCTION.key());

    assertThat(back.environmentId()).isEqualTo("env-1");
    assertThat(loans.recall(FUNCTION.key())).as("nothing else idle").isNull();
    loans.want(FUNCTION, OWNER);
    assertThat(owner.asked).as("not asked again right after a recall").hasSize(1);
  }

  @Test
  void leavingGivesEverythingBack() throws Exception {
    Loans loans = loans();
    borrow(loans, "env-1");
    borrow(loans, "env-2");

    loans.giveBackEverything().get(5, TimeUnit.SECONDS);

    assertThat(owner.givenBack).containsExactlyInAnyOrder("env-1@" + OWNER, "env-2@" + OWNER);
  }
}
