package dev.klambda.gateway;

import dev.klambda.environments.EnvironmentInvoker;
import dev.klambda.environments.EnvironmentManager;
import dev.klambda.function.FunctionConfig;
import java.util.Collection;
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

  public FunctionRouter deploy(FunctionConfig function) {
    FunctionRouter router = new FunctionRouter(function, manager, invoker, observer, defaultConcurrencyLimit);
    FunctionRouter previous = routers.putIfAbsent(function.key(), router);
    if (previous != null) {
      throw new IllegalArgumentException("function " + function.key() + " is already deployed");
    }
    router.ensureProvisioned();
    return router;
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
}
