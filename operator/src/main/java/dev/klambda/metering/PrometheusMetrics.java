package dev.klambda.metering;

import dev.klambda.environments.InvocationResult;
import dev.klambda.function.FunctionConfig;
import dev.klambda.gateway.FunctionRegistry;
import dev.klambda.gateway.FunctionRouter;
import dev.klambda.gateway.InvocationObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.ArrayList;
import java.util.List;

/**
 * klambda's Prometheus metrics: invocations by result and environments by state, labelled with
 * namespace and function only (never per request or environment), plus JVM and process metrics.
 */
public final class PrometheusMetrics implements InvocationObserver {
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final MultiGauge environments = MultiGauge.builder("klambda_environments")
      .description("Execution environments by state").register(registry);
  private volatile FunctionRegistry functions;

  public PrometheusMetrics() {
    new ClassLoaderMetrics().bindTo(registry);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
  }

  /** Environments by state of every function the registry serves, as of each scrape. */
  public void watch(FunctionRegistry functions) {
    this.functions = functions;
  }

  private void refreshEnvironments() {
    if (functions == null) {
      return;
    }
    List<MultiGauge.Row<?>> rows = new ArrayList<>();
    for (FunctionRouter router : functions.routers()) {
      FunctionRouter.Counts counts = router.counts();
      Tags tags = tags(router.function());
      rows.add(MultiGauge.Row.of(tags.and("state", "starting"), counts.starting()));
      rows.add(MultiGauge.Row.of(tags.and("state", "idle"), counts.idle()));
      rows.add(MultiGauge.Row.of(tags.and("state", "busy"), counts.busy()));
    }
    environments.register(rows, true);
  }

  @Override
  public void completed(FunctionConfig function, InvocationResult result) {
    invocations(function, switch (result.outcome()) {
      case SUCCESS -> "success";
      case TIMEOUT -> "timeout";
      default -> "error";
    }).increment();
  }

  @Override
  public void throttled(FunctionConfig function) {
    invocations(function, "throttled").increment();
  }

  private Counter invocations(FunctionConfig function, String result) {
    return Counter.builder("klambda_invocations")
        .description("Invocations by result: success, error, timeout or throttled")
        .tags(tags(function).and("result", result))
        .register(registry);
  }

  private static Tags tags(FunctionConfig function) {
    return Tags.of("namespace", function.namespace(), "function", function.name());
  }

  /** The Prometheus text exposition of every metric. */
  public String scrape() {
    refreshEnvironments();
    return registry.scrape();
  }
}
