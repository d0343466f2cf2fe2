package dev.klambda.metering;

import dev.klambda.environments.InvocationResult;
import dev.klambda.function.FunctionConfig;
import dev.klambda.gateway.FunctionRegistry;
import dev.klambda.gateway.FunctionRouter;
import dev.klambda.gateway.InvocationObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.function.ToIntFunction;

/**
 * klambda's Prometheus metrics: invocations by result and environments by state, labelled with
 * namespace and function only (never per request or environment), plus JVM and process metrics.
 */
public final class PrometheusMetrics implements InvocationObserver {
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

  public PrometheusMetrics() {
    new ClassLoaderMetrics().bindTo(registry);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
  }

  /** Registers the environment gauges of every function the registry serves. */
  public void watch(FunctionRegistry functions) {
    for (FunctionRouter router : functions.routers()) {
      environments(router, "starting", FunctionRouter.Counts::starting);
      environments(router, "idle", FunctionRouter.Counts::idle);
      environments(router, "busy", FunctionRouter.Counts::busy);
    }
  }

  private void environments(FunctionRouter router, String state, ToIntFunction<FunctionRouter.Counts> count) {
    Gauge.builder("klambda_environments", router, r -> count.applyAsInt(r.counts()))
        .description("Execution environments by state")
        .tags(tags(router.function()).and("state", state))
        .register(registry);
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
    return registry.scrape();
  }
}
