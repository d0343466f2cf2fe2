package dev.klambda.gateway;

import dev.klambda.environments.EnvironmentInvoker;
import dev.klambda.environments.Environment;
import dev.klambda.environments.EnvironmentManager;
import dev.klambda.environments.InvocationRequest;
import dev.klambda.environments.InvocationResult;
import dev.klambda.function.FunctionConfig;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The functions the gateway serves, each with its router, found by any of the names the Invoke
 * API accepts; it also runs the idle-environment sweep.
 */
public final class FunctionRegistry implements AutoCloseable {
  private static final long SWEEP_MILLIS = 250;

  private final EnvironmentManager manager;
  private final EnvironmentInvoker invoker;
  private final InvocationObserver observer;
  private final String defaultNamespace;
  private final String region;
  private final int defaultConcurrencyLimit;
  private final Map<String, FunctionRouter> routers = new ConcurrentHashMap<>();
  private final ScheduledExecutorService sweeper = Executors.newSingleThreadScheduledExecutor(
      r -> Thread.ofPlatform().daemon().name("idle-sweep").unstarted(r));

  public FunctionRegistry(EnvironmentManager manager, EnvironmentInvoker invoker,
      InvocationObserver observer, String defaultNamespace, String region, int defaultConcurrencyLimit) {
    this.manager = manager;
    this.invoker = invoker;
    this.observer = observer;
    this.defaultNamespace = defaultNamespace;
    this.region = region;
    this.defaultConcurrencyLimit = defaultConcurrencyLimit;
    sweeper.scheduleWithFixedDelay(this::stopIdle, SWEEP_MILLIS, SWEEP_MILLIS, TimeUnit.MILLISECONDS);
  }

  /**
   * Serves a function, or its new generation: the new router takes new invocations while the old
   * one drains (its busy environments finish, then stop). The first time a function is deployed in
   * this process, environments of its generation that already run are adopted and older ones
   * stopped.
   */
  public FunctionRouter deploy(FunctionConfig function) {
    FunctionRouter current = routers.get(function.key());
    if (current != null && current.function().sameGeneration(function)) {
      return current;
    }
    FunctionRouter router = new FunctionRouter(function, manager, invoker, observer, defaultConcurrencyLimit);
    FunctionRouter previous = routers.put(function.key(), router);
    if (previous != null) {
      previous.close();
    } else {
      adoptExisting(router);
    }
    router.ensureProvisioned();
    return router;
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
  public void remove(String key) {
    FunctionRouter router = routers.remove(key);
    if (router != null) {
      router.close();
    }
  }

  /**
   * Runs an invocation of the function with that Invoke API name. A request that waited while the
   * function was updated goes to the new generation.
   */
  public InvocationResult invoke(String functionName, InvocationRequest request, long queueDeadlineNanos)
      throws ServiceException, InterruptedException {
    for (int attempt = 1; ; attempt++) {
      try {
        return find(functionName).invoke(request, queueDeadlineNanos);
      } catch (ServiceException e) {
        if (!e.retired() || attempt == 3) {
          throw e;
        }
      }
    }
  }

  public Collection<FunctionRouter> routers() {
    return routers.values();
  }

  public String region() {
    return region;
  }

  /**
   * The router for a FunctionName of the Invoke API: {@code name} (in the default namespace),
   * {@code namespace/name}, or {@code arn:aws:lambda:region:namespace:function:name[:$LATEST]}.
   */
  public FunctionRouter find(String functionName) throws ServiceException {
    FunctionRouter router = routers.get(key(functionName));
    if (router == null) {
      throw ServiceException.functionNotFound(arnOf(functionName));
    }
    return router;
  }

  private String key(String functionName) {
    if (functionName.startsWith("arn:")) {
      String[] parts = functionName.split(":");
      if (parts.length >= 7 && parts[5].equals("function")) {
        return parts[4] + "/" + parts[6];
      }
      return functionName;
    }
    return functionName.contains("/") ? functionName : defaultNamespace + "/" + functionName;
  }

  private String arnOf(String functionName) {
    if (functionName.startsWith("arn:")) {
      return functionName;
    }
    String key = key(functionName);
    int slash = key.indexOf('/');
    return "arn:aws:lambda:" + region + ":" + key.substring(0, slash) + ":function:" + key.substring(slash + 1);
  }

  private void stopIdle() {
    long now = System.nanoTime();
    for (FunctionRouter router : routers.values()) {
      try {
        router.stopIdle(now);
      } catch (RuntimeException e) {
        System.err.println("klambda: idle sweep of " + router.function().key() + " failed: " + e);
      }
    }
  }

  /** Stops every function's environments; call once the gateway serves nothing any more. */
  @Override
  public void close() {
    sweeper.shutdownNow();
    CompletableFuture.allOf(routers.values().stream().map(FunctionRouter::close)
        .toArray(CompletableFuture[]::new)).join();
    manager.close();
  }

  /**
   * Stops routing but leaves the environments running, for the next operator process to adopt
   * (Pods outlive the operator; an operator restart costs no cold starts).
   */
  public void detach() {
    sweeper.shutdownNow();
    manager.close();
  }
}
