package dev.klambda.routing;

import dev.klambda.auth.PeerKey;
import dev.klambda.environments.Environment;
import dev.klambda.environments.EnvironmentInvoker;
import dev.klambda.environments.EnvironmentManager;
import dev.klambda.environments.EnvironmentUnavailableException;
import dev.klambda.environments.InvocationRequest;
import dev.klambda.environments.InvocationResult;
import dev.klambda.function.FunctionConfig;
import dev.klambda.http.HttpConnections;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The functions the gateway serves, found by any of the names the Invoke API accepts. This replica
 * has a router for each function it owns ({@link Ownership}); the invocations of the others run on
 * environments their owner lent it ({@link Loans}) or are forwarded to the owner. It lends its own
 * functions' idle environments to the other replicas in turn, and runs the idle-environment sweep.
 */
public final class FunctionRegistry implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(FunctionRegistry.class);
  private static final long SWEEP_MILLIS = 250;

  /** How long a replica that stops waits for the owners to take back what it borrowed. */
  private static final Duration GIVE_BACK_LIMIT = Duration.ofSeconds(2);

  /** Between attempts to reach a function's owner while ownership moves. */
  private static final long OWNER_RETRY_MILLIS = 50;

  private final EnvironmentManager manager;
  private final EnvironmentInvoker invoker;
  private final InvocationObserver observer;
  private final String defaultNamespace;
  private final String region;
  private final int defaultConcurrencyLimit;
  private final boolean queueAtLimit;
  private final Ownership ownership;
  private final HttpConnections replicas = new HttpConnections("replicas", Duration.ofSeconds(1));
  private final RemoteInvoker remote;
  private final LoanClient loanClient;
  private final Loans loans;

  /** The routers of this replica that lent each environment now lent, by environment id. */
  private final Map<String, FunctionRouter> lenders = new ConcurrentHashMap<>();

  /** Every function served, owned here or not. */
  private final Map<String, FunctionConfig> functions = new ConcurrentHashMap<>();

  /** The routers of the functions this replica owns. */
  private final Map<String, FunctionRouter> routers = new ConcurrentHashMap<>();

  private final ScheduledExecutorService sweeper =
      Executors.newSingleThreadScheduledExecutor(
          r -> Thread.ofPlatform().daemon().name("idle-sweep").unstarted(r));

  /** A registry that routes every function itself. */
  FunctionRegistry(
      EnvironmentManager manager,
      EnvironmentInvoker invoker,
      InvocationObserver observer,
      String defaultNamespace,
      String region,
      int defaultConcurrencyLimit) {
    this(
        manager,
        invoker,
        observer,
        defaultNamespace,
        region,
        defaultConcurrencyLimit,
        false,
        Ownership.ALONE,
        PeerKey.random());
  }

  /**
   * @param queueAtLimit whether a function that does not say waits at its concurrency limit instead
   *     of Lambda's immediate 429 ({@code --queue-at-limit})
   * @param peers the replicas' shared key, which a forwarded invocation carries
   */
  public FunctionRegistry(
      EnvironmentManager manager,
      EnvironmentInvoker invoker,
      InvocationObserver observer,
      String defaultNamespace,
      String region,
      int defaultConcurrencyLimit,
      boolean queueAtLimit,
      Ownership ownership,
      PeerKey peers) {
    this.manager = manager;
    this.invoker = invoker;
    this.observer = observer;
    this.defaultNamespace = defaultNamespace;
    this.region = region;
    this.defaultConcurrencyLimit = defaultConcurrencyLimit;
    this.queueAtLimit = queueAtLimit;
    this.ownership = ownership;
    this.remote = new RemoteInvoker(replicas, peers);
    this.loanClient = new LoanClient(replicas, peers);
    this.loans = new Loans(invoker, observer, loanClient, ownership);
    sweeper.scheduleWithFixedDelay(
        this::stopIdle, SWEEP_MILLIS, SWEEP_MILLIS, TimeUnit.MILLISECONDS);
  }

  /**
   * Serves a function, or its new generation: when this replica owns it, the new router takes new
   * invocations while the old one drains (its busy environments finish, then stop).
   */
  public synchronized void deploy(FunctionConfig function) {
    FunctionConfig before = functions.put(function.key(), function);
    if (before != null && !before.sameGeneration(function)) {
      loans.giveBackAll(function.key());
    }
    FunctionRouter current = routers.get(function.key());
    if (current != null && current.function().sameGeneration(function)) {
      return;
    }
    if (current == null && ownership.ownerOf(function.key()) != null) {
      return;
    }
    FunctionRouter router =
        new FunctionRouter(
            function,
            manager,
            invoker,
            observer,
            defaultConcurrencyLimit,
            queueAtLimit,
            this::recall);
    routers.put(function.key(), router);
    if (current != null) {
      current.close();
    } else {
      adoptExisting(router);
    }
    router.ensureProvisioned();
  }

  /**
   * Takes the routing of the functions this replica owns now and hands over those it no longer owns
   * (after the ready gateway replicas changed). A function taken over starts with the environments
   * of its generation that already run: the previous owner's.
   */
  public synchronized void rebalance() {
    for (FunctionConfig function : functions.values()) {
      boolean owned = ownership.ownerOf(function.key()) == null;
      FunctionRouter router = routers.get(function.key());
      if (owned && router == null) {
        LOG.info("function {}: routed here from now on", function.key());
        deploy(function);
      } else if (!owned && router != null) {
        LOG.info(
            "function {}: handed to the gateway at {}",
            function.key(),
            ownership.ownerOf(function.key()));
        routers.remove(function.key());
        router.release();
        lenders.values().removeIf(lender -> lender == router); // its loans are the new owner's
      }
    }
    loans.follow();
    for (FunctionRouter lender : Set.copyOf(lenders.values())) {
      lender.reclaim(ownership::serves).forEach(lenders::remove);
    }
  }

  private void adoptExisting(FunctionRouter router) {
    List<Environment> current = new ArrayList<>();
    for (Environment environment : manager.existing(router.function())) {
      if (environment.generation() == router.function().generation()) {
        current.add(environment);
      } else {
        manager.stop(environment);
      }
    }
    router.adopt(current);
  }

  /** Stops serving a function; its environments stop once idle. */
  public synchronized void remove(String key) {
    functions.remove(key);
    loans.giveBackAll(key);
    FunctionRouter router = routers.remove(key);
    if (router != null) {
      router.close();
    }
  }

  /**
   * Runs an invocation of the function {@code key}, here or at its owner. A request that waited
   * while the function was updated or handed over goes to the new generation or the new owner.
   */
  public InvocationResult invoke(String key, InvocationRequest request, long queueDeadlineNanos)
      throws ServiceException, InterruptedException {
    return invoke(key, request, queueDeadlineNanos, false);
  }

  /**
   * {@link #invoke}, waiting at the function's concurrency limit whatever it says (an Event's
   * invocation, which Lambda queues; routed elsewhere, the owner decides and a 429 comes back).
   */
  InvocationResult invokeQueued(String key, InvocationRequest request, long queueDeadlineNanos)
      throws ServiceException, InterruptedException {
    return invoke(key, request, queueDeadlineNanos, true);
  }

  private InvocationResult invoke(
      String key, InvocationRequest request, long queueDeadlineNanos, boolean queue)
      throws ServiceException, InterruptedException {
    for (int attempt = 1; ; attempt++) {
      FunctionRouter router = routers.get(key);
      try {
        if (router != null) {
          return queue
              ? router.invokeQueued(request, queueDeadlineNanos)
              : router.invoke(request, queueDeadlineNanos);
        }
        URI owner = ownership.ownerOf(key);
        FunctionConfig function = functions.get(key);
        if (owner == null || function == null) {
          throw ServiceException.functionNotFound(arnOf(key));
        }
        InvocationResult borrowed = invokeBorrowed(function, owner, request);
        if (borrowed != null) {
          return borrowed;
        }
        observer.forwarded(function);
        try {
          return remote.invoke(owner, key, request, queueDeadlineNanos);
        } finally {
          // now, not before: the owner frees the environment before it answers, so it has one idle
          loans.want(function, owner);
        }
      } catch (ServiceException e) {
        if (!e.retired() || attempt == 3) {
          throw e;
        }
      } catch (RemoteInvoker.OwnerUnreachable e) {
        // ownership is moving (a replica left or has not noticed it owns the function yet): ask
        // again
        if (System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(OWNER_RETRY_MILLIS)
            > queueDeadlineNanos) {
          throw ServiceException.service(
              "The gateway that routes " + key + " cannot be reached: " + e.getMessage());
        }
        attempt = 0;
        Thread.sleep(OWNER_RETRY_MILLIS);
      }
    }
  }

  /**
   * Runs the invocation at once on an environment borrowed from the function's owner, waiting for
   * nothing: null when this replica routes the function or holds no idle loan of it. Completes as
   * {@link FunctionRouter#tryInvokeNow} does.
   */
  public CompletableFuture<InvocationResult> tryInvokeBorrowed(
      String key, InvocationRequest request) {
    URI owner = ownership.ownerOf(key);
    FunctionConfig function = functions.get(key);
    return owner == null || function == null ? null : loans.tryInvokeNow(function, owner, request);
  }

  /**
   * On a borrowed environment: null when none is idle, or the one taken did not take the invocation
   * (then it is forwarded).
   */
  private InvocationResult invokeBorrowed(
      FunctionConfig function, URI owner, InvocationRequest request)
      throws ServiceException, InterruptedException {
    CompletableFuture<InvocationResult> now = loans.tryInvokeNow(function, owner, request);
    if (now == null) {
      return null;
    }
    try {
      return now.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof EnvironmentUnavailableException) {
        return null;
      }
      throw ServiceException.environmentLost(e.getCause());
    }
  }

  /**
   * Lends an idle environment of a function this replica routes to the replica {@code borrower}.
   *
   * @return null when none can be lent now
   * @throws ServiceException 503 when this replica does not route the function
   */
  public Loan lend(String key, String borrower) throws ServiceException {
    FunctionRouter router = routers.get(key);
    if (router == null) {
      throw ServiceException.notOwner(key);
    }
    Environment environment = router.lend(borrower, ownership.replicas());
    if (environment == null) {
      return null;
    }
    lenders.put(environment.id(), router);
    LOG.debug("function {}: {} lent to {}", key, environment, borrower);
    return Loan.of(environment);
  }

  /**
   * A replica gives back an environment of {@code key} it borrowed here, idle for {@code
   * idleMillis} (or to be stopped when not {@code reusable}).
   *
   * @return false when it was not lent here (ownership moved meanwhile: its new owner adopted it)
   */
  public boolean takeBack(String key, String environmentId, boolean reusable, long idleMillis) {
    FunctionRouter lender = lenders.get(environmentId);
    if (lender == null
        || !lender.function().key().equals(key)
        || !lenders.remove(environmentId, lender)) {
      return false;
    }
    return lender.takeBack(
        environmentId, reusable, TimeUnit.MILLISECONDS.toNanos(Math.max(0, idleMillis)));
  }

  /** Asks the replicas that borrowed environments of a function for an idle one back, each. */
  private CompletableFuture<Void> recall(FunctionConfig function, Set<String> borrowers) {
    List<CompletableFuture<Void>> asked = new ArrayList<>();
    for (String borrower : borrowers) {
      URI url = ownership.urlOf(borrower);
      if (url != null) {
        asked.add(
            loanClient
                .recall(url, function.key())
                // taking it back may stop it (a closed router), which calls the environment
                // manager: not on the connection's event loop
                .thenAcceptAsync(
                    back -> {
                      if (back != null) {
                        takeBack(function.key(), back.environmentId(), true, back.idleMillis());
                      }
                    },
                    task -> Thread.ofVirtual().start(task)));
      }
    }
    return CompletableFuture.allOf(asked.toArray(CompletableFuture[]::new));
  }

  /**
   * The replica that routes {@code key} wants an environment it lent this one back: an idle one,
   * handed back; null when none is idle here.
   */
  public Loan.Recalled handBack(String key) {
    return loans.recall(key);
  }

  /** Environments borrowed from other replicas running an invocation now, by function. */
  public Map<String, Integer> borrowedBusy() {
    return loans.busy();
  }

  /**
   * Runs an invocation another replica forwarded here; it is never forwarded again.
   *
   * @throws ServiceException 503 when this replica does not route the function (ownership moved
   *     meanwhile): the sender asks again
   */
  public InvocationResult invokeForwarded(
      String key, InvocationRequest request, long queueDeadlineNanos)
      throws ServiceException, InterruptedException {
    FunctionRouter router = routers.get(key);
    if (router == null) {
      throw ServiceException.notOwner(key);
    }
    return router.invokeForwarded(request, queueDeadlineNanos);
  }

  /**
   * Gives an event to the replica that routes its function now (this one leaves).
   *
   * @return false when no other replica routes it, or it could not be reached
   */
  boolean handOverEvent(String key, InvocationRequest request) {
    URI owner = ownership.ownerOf(key);
    if (owner == null) {
      return false;
    }
    try {
      remote.submitEvent(owner, key, request);
      LOG.info(
          "function {}: event {} handed to the gateway at {}", key, request.requestId(), owner);
      return true;
    } catch (ServiceException | RemoteInvoker.OwnerUnreachable e) {
      LOG.warn(
          "function {}: event {} could not be handed to {}: {}",
          key,
          request.requestId(),
          owner,
          e.getMessage());
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Every function served (routed here or not), in namespace/name order. */
  public List<FunctionConfig> functions() {
    return functions.values().stream()
        .sorted(java.util.Comparator.comparing(FunctionConfig::key))
        .toList();
  }

  /** The routers of the functions this replica owns. */
  public Collection<FunctionRouter> routers() {
    return routers.values();
  }

  /** The router of a function this replica owns, by any Invoke API name; null when not here. */
  public FunctionRouter router(String functionName) {
    return routers.get(keyOf(functionName));
  }

  public String region() {
    return region;
  }

  /**
   * A function by a FunctionName of the Invoke API: {@code name} (in the default namespace), {@code
   * namespace/name}, or {@code arn:aws:lambda:region:namespace:function:name[:$LATEST]}.
   */
  public FunctionConfig find(String functionName) throws ServiceException {
    FunctionConfig function = functions.get(keyOf(functionName));
    if (function == null) {
      throw ServiceException.functionNotFound(arnOf(functionName));
    }
    return function;
  }

  /** The {@code namespace/name} that a FunctionName (name, namespace/name or ARN) stands for. */
  public String keyOf(String functionName) {
    if (functionName.startsWith("arn:")) {
      String[] parts = functionName.split(":");
      if (parts.length >= 7 && parts[5].equals("function")) {
        return parts[4] + "/" + parts[6];
      }
      return functionName;
    }
    return functionName.contains("/") ? functionName : defaultNamespace + "/" + functionName;
  }

  /** The ARN of a FunctionName, whether or not such a function exists. */
  public String arnOf(String functionName) {
    if (functionName.startsWith("arn:")) {
      return functionName;
    }
    String key = keyOf(functionName);
    int slash = key.indexOf('/');
    return FunctionConfig.arn(region, key.substring(0, slash), key.substring(slash + 1));
  }

  private void stopIdle() {
    long now = System.nanoTime();
    loans.giveBackIdle(now);
    for (FunctionRouter router : routers.values()) {
      try {
        router.stopIdle(now);
      } catch (RuntimeException e) {
        LOG.warn("function {}: idle sweep failed", router.function().key(), e);
      }
    }
  }

  /** Stops every function's environments; call once the gateway serves nothing any more. */
  @Override
  public void close() {
    sweeper.shutdownNow();
    giveBackLoans();
    CompletableFuture.allOf(
            routers.values().stream().map(FunctionRouter::close).toArray(CompletableFuture[]::new))
        .join();
    manager.close();
    invoker.close();
    replicas.close();
  }

  /**
   * Stops routing but leaves the environments running, for the next gateway process to adopt (Pods
   * outlive the gateway; a restart costs no cold starts).
   */
  public void detach() {
    giveBackLoans();
    abandon();
  }

  /**
   * As a process that died: routes nothing and gives nothing back (its borrowed environments are
   * reclaimed by their owners once it is no longer a member). For tests of what the others do.
   */
  public void abandon() {
    sweeper.shutdownNow();
    routers.values().forEach(FunctionRouter::release);
    manager.close();
    invoker.close();
    replicas.close();
  }

  private void giveBackLoans() {
    try {
      loans.giveBackEverything().get(GIVE_BACK_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      LOG.warn("some borrowed environments were not given back: {}", e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
