package dev.klambda.metering;

import dev.klambda.auth.Refusal;
import dev.klambda.eventsources.MappingObserver;
import dev.klambda.pool.WarmPool;
import dev.klambda.routing.FunctionRegistry;
import dev.klambda.routing.FunctionRouter;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * klambda's Prometheus registry: per-function meters labelled with namespace and function only
 * (never per request or environment), environments by state and concurrent executions as of each
 * scrape, JVM and process metrics.
 */
public final class PrometheusMetrics {
  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Map<String, FunctionMeters> meters = new ConcurrentHashMap<>();
  private final MultiGauge environments =
      MultiGauge.builder("klambda_environments")
          .description("Execution environments by state")
          .register(registry);
  private final MultiGauge concurrentExecutions =
      MultiGauge.builder("klambda_concurrent_executions")
          .description("Invocations running now")
          .register(registry);
  private final MappingMeters mappings = new MappingMeters(registry);
  private volatile FunctionRegistry functions;
  private volatile WarmPool pool;

  public PrometheusMetrics() {
    new ClassLoaderMetrics().bindTo(registry);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
  }

  /**
   * Counts refused invocations by reason ({@code klambda_auth_refusals_total{reason}}), never by
   * function: who may not invoke what is not for every scraper to read.
   */
  public Consumer<Refusal.Reason> authRefusals() {
    return reason ->
        Counter.builder("klambda_auth_refusals")
            .description("Invocations refused by authentication or RBAC, by reason")
            .tag("reason", reason.label())
            .register(registry)
            .increment();
  }

  /** The klambda_esm_* metrics of event source mappings. */
  public MappingObserver mappings() {
    return mappings;
  }

  /** For other instrumentation (the operator SDK's reconcile metrics). */
  public MeterRegistry registry() {
    return registry;
  }

  /** The functions whose environments the gauges report. */
  public void watch(FunctionRegistry functions) {
    this.functions = functions;
  }

  /**
   * The warm pools whose members the environments gauge reports: {@code state="pooled"} (and {@code
   * "starting"}) with an empty function label, per namespace, since they serve none yet.
   */
  public void watch(WarmPool pool) {
    this.pool = pool;
  }

  /** The meters of the function {@code namespace/name}. */
  FunctionMeters meters(String key) {
    FunctionMeters found = meters.get(key);
    if (found != null) {
      return found;
    }
    return meters.computeIfAbsent(
        key,
        k -> {
          int slash = k.indexOf('/');
          return new FunctionMeters(registry, k.substring(0, slash), k.substring(slash + 1));
        });
  }

  /** The Prometheus text exposition of every metric. */
  public String scrape() {
    refreshGauges();
    return registry.scrape();
  }

  private void refreshGauges() {
    FunctionRegistry served = functions;
    if (served == null) {
      return;
    }
    List<MultiGauge.Row<?>> states = new ArrayList<>();
    List<MultiGauge.Row<?>> running = new ArrayList<>();
    for (FunctionRouter router : served.routers()) {
      FunctionRouter.Counts counts = router.counts();
      Tags tags =
          Tags.of("namespace", router.function().namespace(), "function", router.function().name());
      states.add(MultiGauge.Row.of(tags.and("state", "starting"), counts.starting()));
      states.add(MultiGauge.Row.of(tags.and("state", "idle"), counts.idle()));
      states.add(MultiGauge.Row.of(tags.and("state", "busy"), counts.busy()));
      states.add(MultiGauge.Row.of(tags.and("state", "lent"), counts.lent()));
      running.add(MultiGauge.Row.of(tags, counts.busy()));
    }
    // invocations this replica runs on environments another replica lent it
    served
        .borrowedBusy()
        .forEach(
            (key, busy) -> {
              int slash = key.indexOf('/');
              running.add(
                  MultiGauge.Row.of(
                      Tags.of(
                          "namespace",
                          key.substring(0, slash),
                          "function",
                          key.substring(slash + 1)),
                      busy));
            });
    WarmPool watchedPool = pool;
    if (watchedPool != null) {
      Map<String, int[]> byNamespace = new java.util.TreeMap<>();
      for (WarmPool.Counts counts : watchedPool.counts()) {
        int[] sums = byNamespace.computeIfAbsent(counts.pool().namespace(), n -> new int[2]);
        sums[0] += counts.pooled();
        sums[1] += counts.starting();
      }
      byNamespace.forEach(
          (namespace, sums) -> {
            Tags tags = Tags.of("namespace", namespace, "function", "");
            states.add(MultiGauge.Row.of(tags.and("state", "pooled"), sums[0]));
            states.add(MultiGauge.Row.of(tags.and("state", "starting"), sums[1]));
          });
    }
    environments.register(states, true);
    concurrentExecutions.register(running, true);
  }
}
