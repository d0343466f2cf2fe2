package dev.klambda.routing;

import dev.klambda.environments.Environment;
import dev.klambda.environments.EnvironmentInvoker;
import dev.klambda.environments.InvocationRequest;
import dev.klambda.environments.InvocationResult;
import dev.klambda.function.FunctionConfig;
import java.net.URI;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The environments this replica borrowed from the replicas that route their functions. An
 * invocation that arrives here for a function routed elsewhere runs on an idle one directly,
 * without the second pass through the gateway tier that forwarding costs; when none is idle it is
 * forwarded, and the owner is asked to lend one more. The owner keeps deciding: it lends only idle
 * environments and counts them against the limit, and what is lent comes back once idle for {@link
 * #GIVE_BACK_AFTER_NANOS}, so it alone scales the function to zero. Each borrowed environment runs
 * one invocation at a time, here.
 */
final class Loans {
  private static final Logger LOG = LoggerFactory.getLogger(Loans.class);

  /**
   * Idle this long, a borrowed environment goes back: the owner's own callers may need it, and its
   * idle timeout runs there.
   */
  static final long GIVE_BACK_AFTER_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

  /** After the owner had nothing to lend, forwarding alone until then. */
  private static final long ASK_AGAIN_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

  /**
   * After the owner recalled a loan, forwarding alone until then: its own callers need the
   * environments, and borrowing again at once would only pass one back and forth.
   */
  private static final long AFTER_RECALL_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final EnvironmentInvoker invoker;
  private final InvocationObserver observer;
  private final LoanRequests client;
  private final Ownership ownership;
  private final Map<String, Borrowed> byFunction = new ConcurrentHashMap<>();

  Loans(
      EnvironmentInvoker invoker,
      InvocationObserver observer,
      LoanRequests client,
      Ownership ownership) {
    this.invoker = invoker;
    this.observer = observer;
    this.client = client;
    this.ownership = ownership;
  }

  /**
   * Runs the invocation at once on an idle borrowed environment of the function's generation, lent
   * by {@code owner}: null when there is none. Completes as {@link FunctionRouter#tryInvokeNow}
   * does; an environment that did not take the invocation or cannot take another goes back to be
   * stopped.
   */
  CompletableFuture<InvocationResult> tryInvokeNow(
      FunctionConfig function, URI owner, InvocationRequest request) {
    Borrowed borrowed = byFunction.get(function.key());
    Environment environment =
        borrowed == null || !borrowed.from(owner, function) ? null : borrowed.take();
    if (environment == null) {
      return null;
    }
    return WarmInvocation.run(
        invoker,
        observer,
        function,
        environment,
        request,
        reusable -> {
          if (!borrowed.finished(environment, reusable)) {
            giveBack(borrowed, environment, reusable, 0);
          }
        });
  }

  /**
   * An invocation of {@code function} was forwarded to {@code owner} (none was idle here): asks it
   * to lend an environment, unless a request is out already or it had none a moment ago.
   */
  void want(FunctionConfig function, URI owner) {
    Borrowed borrowed = current(function, owner);
    if (!borrowed.startAsking()) {
      return;
    }
    client
        .borrow(owner, function.key(), ownership.self())
        .whenComplete(
            (loan, failed) -> {
              borrowed.asked(loan != null);
              if (loan == null) {
                return;
              }
              Environment environment = loan.environment(function);
              if (loan.generation() != function.generation() || !borrowed.add(environment)) {
                giveBack(borrowed, environment, true, 0);
              } else {
                LOG.debug("function {}: borrowed {} from {}", function.key(), environment, owner);
              }
            });
  }

  /**
   * The loans of {@code function} from {@code owner}; those from another owner or of another
   * generation are given back (or forgotten, when that owner no longer routes the function).
   */
  private Borrowed current(FunctionConfig function, URI owner) {
    Borrowed[] replaced = new Borrowed[1];
    Borrowed borrowed =
        byFunction.compute(
            function.key(),
            (key, before) -> {
              if (before != null && before.from(owner, function)) {
                return before;
              }
              replaced[0] = before;
              return new Borrowed(owner, function.generation());
            });
    if (replaced[0] != null) {
      end(replaced[0], !replaced[0].lender.equals(owner));
    }
    return borrowed;
  }

  /** Gives back what has been idle for {@link #GIVE_BACK_AFTER_NANOS}. */
  void giveBackIdle(long nowNanos) {
    for (Borrowed borrowed : byFunction.values()) {
      for (Borrowed.Held held : borrowed.idleSince(nowNanos - GIVE_BACK_AFTER_NANOS)) {
        giveBack(
            borrowed,
            held.environment(),
            true,
            TimeUnit.NANOSECONDS.toMillis(nowNanos - held.idleSinceNanos()));
      }
    }
  }

  /** The function has a new generation here, or is gone: what was borrowed for it goes back. */
  void giveBackAll(String key) {
    Borrowed borrowed = byFunction.remove(key);
    if (borrowed != null) {
      end(borrowed, false);
    }
  }

  /**
   * The members changed: loans from a replica that no longer routes their function are forgotten,
   * not given back. The replica that routes it now adopted those environments with the rest (and a
   * replica that left cannot take them).
   */
  void follow() {
    byFunction.forEach(
        (key, borrowed) -> {
          if (!borrowed.lender.equals(ownership.ownerOf(key)) && byFunction.remove(key, borrowed)) {
            end(borrowed, true);
          }
        });
  }

  /** Gives everything back: this replica stops serving. Waits a moment for the owners to hear. */
  CompletableFuture<Void> giveBackEverything() {
    List<CompletableFuture<Void>> sent = new ArrayList<>();
    for (String key : List.copyOf(byFunction.keySet())) {
      Borrowed borrowed = byFunction.remove(key);
      if (borrowed != null) {
        for (Borrowed.Held held : borrowed.end(false)) {
          sent.add(giveBack(borrowed, held.environment(), true, 0));
        }
      }
    }
    return CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new));
  }

  /**
   * The owner wants an environment of {@code key} back: the most recently used idle one, taken out;
   * null when none is idle here.
   */
  Loan.Recalled recall(String key) {
    Borrowed borrowed = byFunction.get(key);
    Borrowed.Held held = borrowed == null ? null : borrowed.recall();
    return held == null
        ? null
        : new Loan.Recalled(
            held.environment().id(),
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - held.idleSinceNanos()));
  }

  /** Borrowed environments running an invocation now, by function (they count here). */
  Map<String, Integer> busy() {
    Map<String, Integer> busy = new TreeMap<>();
    byFunction.forEach(
        (key, borrowed) -> {
          int count = borrowed.busy();
          if (count > 0) {
            busy.put(key, count);
          }
        });
    return busy;
  }

  private void end(Borrowed borrowed, boolean forget) {
    for (Borrowed.Held held : borrowed.end(forget)) {
      giveBack(borrowed, held.environment(), true, 0);
    }
  }

  private CompletableFuture<Void> giveBack(
      Borrowed borrowed, Environment environment, boolean reusable, long idleMillis) {
    if (borrowed.forgotten()) {
      return CompletableFuture.completedFuture(null);
    }
    String key = environment.function().key();
    return client
        .giveBack(borrowed.lender, key, environment.id(), reusable, idleMillis)
        .whenComplete(
            (done, failed) -> {
              if (failed != null) {
                LOG.info(
                    "function {}: {} not given back to {}: {}",
                    key,
                    environment,
                    borrowed.lender,
                    failed.getMessage());
              }
            })
        .exceptionally(failed -> null);
  }

  /** One function's generation's environments, borrowed from one owner. */
  private static final class Borrowed {
    record Held(Environment environment, long idleSinceNanos) {}

    final URI lender;
    final long generation;
    // guarded by this
    private final Deque<Held> idle = new ArrayDeque<>();
    private int busy;
    private boolean asking;
    private long askAfterNanos;
    private boolean ended;
    private boolean forgotten;

    Borrowed(URI lender, long generation) {
      this.lender = lender;
      this.generation = generation;
    }

    boolean from(URI owner, FunctionConfig function) {
      return lender.equals(owner) && generation == function.generation();
    }

    /** The most recently used idle one, now busy; null when none. */
    synchronized Environment take() {
      Held held = ended ? null : idle.pollFirst();
      if (held == null) {
        return null;
      }
      busy++;
      return held.environment();
    }

    /** Just lent: idle here; false when these loans ended meanwhile. */
    synchronized boolean add(Environment environment) {
      if (ended) {
        return false;
      }
      idle.addFirst(new Held(environment, System.nanoTime()));
      return true;
    }

    /**
     * An invocation on it ended: idle here again if it may run another and these loans go on; else
     * false, and it goes back (or is forgotten).
     */
    synchronized boolean finished(Environment environment, boolean reusable) {
      busy--;
      return reusable && add(environment);
    }

    synchronized boolean startAsking() {
      if (ended || asking || System.nanoTime() - askAfterNanos < 0) {
        return false;
      }
      asking = true;
      return true;
    }

    synchronized void asked(boolean lent) {
      asking = false;
      if (!lent) {
        askAfterNanos = System.nanoTime() + ASK_AGAIN_NANOS;
      }
    }

    /** The most recently used idle one, taken out; no more asking for a while. */
    synchronized Held recall() {
      askAfterNanos = System.nanoTime() + AFTER_RECALL_NANOS;
      return idle.pollFirst();
    }

    /** The idle ones unused since {@code beforeNanos}, taken out. */
    synchronized List<Held> idleSince(long beforeNanos) {
      List<Held> old = new ArrayList<>();
      while (!idle.isEmpty() && idle.peekLast().idleSinceNanos() - beforeNanos <= 0) {
        old.add(idle.pollLast());
      }
      return old;
    }

    /** No more invocations on these loans; the idle ones, taken out. */
    synchronized List<Held> end(boolean forget) {
      ended = true;
      forgotten = forget;
      List<Held> all = List.copyOf(idle);
      idle.clear();
      return all;
    }

    synchronized boolean forgotten() {
      return forgotten;
    }

    synchronized int busy() {
      return busy;
    }
  }
}
