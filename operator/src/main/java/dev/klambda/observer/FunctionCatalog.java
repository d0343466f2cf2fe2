package dev.klambda.observer;

import dev.klambda.api.Function;
import dev.klambda.function.FunctionConfig;
import dev.klambda.function.FunctionValidator;
import dev.klambda.function.InvalidFunctionException;
import dev.klambda.informers.LatestState;
import dev.klambda.routing.FunctionRegistry;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's view of the Functions: every replica watches them (an informer, so a request never
 * waits on the API server) and serves each valid one through its registry, whether it routes it or
 * forwards it. The operator judges the same Functions for their status; the rules are the same
 * ({@link FunctionValidator}), so both agree on what is valid.
 */
public final class FunctionCatalog implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(FunctionCatalog.class);

  private final FunctionValidator validator;
  private final FunctionRegistry registry;
  private final List<SharedIndexInformer<Function>> informers = new ArrayList<>();
  private final FunctionsLoaded loaded;

  /**
   * @param namespaces where Functions are served; empty for all
   * @param loadGrace the longest a Function that cannot be served keeps the gateway from ready
   */
  public FunctionCatalog(
      KubernetesClient client,
      Set<String> namespaces,
      FunctionValidator validator,
      FunctionRegistry registry,
      Duration loadGrace) {
    this.validator = validator;
    this.registry = registry;
    this.loaded = new FunctionsLoaded(this::known, loadGrace, System::nanoTime);
    ResourceEventHandler<Function> handler = LatestState.of(this::serve, this::deleted);
    if (namespaces.isEmpty()) {
      informers.add(client.resources(Function.class).inAnyNamespace().inform(handler));
    } else {
      namespaces.forEach(
          ns -> informers.add(client.resources(Function.class).inNamespace(ns).inform(handler)));
    }
    loaded.serving();
  }

  private void deleted(Function function) {
    LOG.info("function {}: deleted, no longer served", key(function));
    registry.remove(key(function));
  }

  private void serve(Function function) {
    try {
      FunctionConfig config = validator.validate(function);
      registry.deploy(config);
    } catch (InvalidFunctionException e) {
      LOG.info("function {}: not served, invalid: {}", key(function), e.getMessage());
      registry.remove(key(function));
    } catch (RuntimeException e) {
      LOG.error("function {}: cannot be served", key(function), e);
      return;
    }
    loaded.reconciled(function);
  }

  /** Whether every Function that exists has been taken in (or the grace is over): readiness. */
  public boolean loaded() {
    return informers.stream().allMatch(SharedIndexInformer::hasSynced) && loaded.loaded();
  }

  private List<Function> known() {
    return informers.stream().flatMap(i -> i.getStore().list().stream()).toList();
  }

  private static String key(Function function) {
    return function.getMetadata().getNamespace() + "/" + function.getMetadata().getName();
  }

  @Override
  public void close() {
    informers.forEach(SharedIndexInformer::close);
  }
}
