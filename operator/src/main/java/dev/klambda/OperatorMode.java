package dev.klambda;

import dev.klambda.api.Function;
import dev.klambda.controller.ClusterSecrets;
import dev.klambda.controller.EventSourceMappingReconciler;
import dev.klambda.controller.FunctionReconciler;
import dev.klambda.controller.FunctionsLoaded;
import dev.klambda.eventsources.EventSourceManager;
import dev.klambda.environments.AgentClient;
import dev.klambda.environments.EnvironmentPodTemplate;
import dev.klambda.environments.PodEnvironmentManager;
import dev.klambda.pool.PooledEnvironmentManager;
import dev.klambda.pool.WarmPool;
import dev.klambda.function.FunctionValidator;
import dev.klambda.gateway.AsyncInvoker;
import dev.klambda.gateway.FunctionRegistry;
import dev.klambda.gateway.Gateway;
import dev.klambda.metering.Metering;
import dev.klambda.metering.MetricsServer;
import dev.klambda.metering.StatusUsageStore;
import dev.klambda.metering.UsageLedger;
import dev.klambda.metering.UsageRollup;
import dev.klambda.metering.PrometheusMetrics;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.ControllerConfigurationOverrider;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code klambda operator}: the controller (JOSDK), the gateway and the Pod environment manager in
 * one process, wired by hand. JOSDK runs without server-side apply, the same here as in tests.
 */
public final class OperatorMode implements AutoCloseable {
  /** Lambda keeps an event for up to six hours. */
  private static final Duration MAX_EVENT_AGE = Duration.ofHours(6);
  /** Scheduling and image pulls, on top of a function's Init. */
  private static final Duration POD_START_ALLOWANCE = Duration.ofMinutes(2);
  private static final Duration STATUS_REFRESH = Duration.ofSeconds(10);
  /** The longest a Function that cannot be reconciled keeps a new leader from reporting ready. */
  private static final Duration LOAD_GRACE = Duration.ofSeconds(30);

  private final Operator operator;
  private final Gateway gateway;
  private final FunctionRegistry registry;
  private final EventSourceManager eventSources;
  private final UsageRollup usage;
  private final MetricsServer metricsServer;

  private final AtomicBoolean closing;

  private OperatorMode(Operator operator, Gateway gateway, FunctionRegistry registry,
      EventSourceManager eventSources, UsageRollup usage, MetricsServer metricsServer, AtomicBoolean closing) {
    this.closing = closing;
    this.eventSources = eventSources;
    this.operator = operator;
    this.gateway = gateway;
    this.registry = registry;
    this.usage = usage;
    this.metricsServer = metricsServer;
  }

  public static OperatorMode start(Options options, KubernetesClient client) throws IOException {
    return start(options, client, LeaderElection.of(options, client));
  }

  /** @param election null: this replica is the only one and serves at once */
  public static OperatorMode start(Options options, KubernetesClient client, LeaderElection election)
      throws IOException {
    AgentClient agent = new AgentClient();
    PrometheusMetrics metrics = new PrometheusMetrics();
    UsageLedger ledger = new UsageLedger(Clock.systemUTC());
    Metering metering = new Metering(options.billing(), ledger, metrics);
    PooledEnvironmentManager environments = new PooledEnvironmentManager(
        new PodEnvironmentManager(client, options.namespaces(),
            new EnvironmentPodTemplate(options.runtimeImage(), options.environmentResources(), options.region()),
            agent, POD_START_ALLOWANCE),
        options.warmPools());
    WarmPool pool = environments.pool();
    FunctionRegistry registry = new FunctionRegistry(environments, agent, metering,
        options.defaultNamespace(), options.region(), options.concurrencyLimit());
    metrics.watch(registry);
    metrics.watch(pool);
    AsyncInvoker async = new AsyncInvoker(registry, metering, options.asyncRetryDelay(), MAX_EVENT_AGE,
        options.queueTimeout());
    Gateway gateway = new Gateway(new InetSocketAddress(options.bind(), options.port()), registry, async,
        options.queueTimeout());
    gateway.start();
    AtomicBoolean leading = new AtomicBoolean(election == null);
    AtomicBoolean closing = new AtomicBoolean();
    FunctionsLoaded loaded = new FunctionsLoaded(() -> functions(client, options.namespaces()), LOAD_GRACE,
        System::nanoTime);
    if (election == null) {
      loaded.serving();
      Thread.ofVirtual().name("warm-pool").start(pool::start);
    }
    MetricsServer metricsServer = new MetricsServer(new InetSocketAddress(options.bind(), options.metricsPort()),
        metrics, () -> leading.get() && loaded.loaded());
    metricsServer.start();

    String gatewayUrl = options.gatewayUrl() != null ? options.gatewayUrl()
        : "http://klambda-gateway." + client.getNamespace() + ".svc:" + gateway.address().getPort();
    EventSourceManager eventSources =
        EventSourceManager.through(registry, async, options.queueTimeout(), options.region(),
            metrics.mappings(), new ClusterSecrets(client));
    UsageRollup usage = new UsageRollup(ledger, new StatusUsageStore(client, options.billing()),
        options.usageInterval());
    Operator operator = new Operator(o -> {
      o.withKubernetesClient(client)
          .withMetrics(MicrometerMetrics.withoutPerResourceMetrics(metrics.registry()))
          .withCloseClientOnStop(false)
          .withSSABasedCreateUpdateMatchForDependentResources(false)
          .withUseSSAToPatchPrimaryResource(false);
      if (election != null) {
        o.withLeaderElectionConfiguration(election.configuration(() -> {
          eventSources.resume();
          loaded.serving();
          leading.set(true);
          Thread.ofVirtual().name("warm-pool").start(pool::start);
        }, () -> {
          leading.set(false);
          eventSources.suspend(); // another replica owns the mappings now, even if a reconcile still runs here
          pool.suspend();
          if (election.exitOnStopLeading() && !closing.get()) {
            // lost, not given up: leave (the shutdown hook drains in-flight work), come back as a standby
            Thread.ofPlatform().name("klambda-lost-lease").start(() -> System.exit(1));
          }
        }));
      }
    });
    operator.register(new FunctionReconciler(new FunctionValidator(options.sizing()), registry, ledger,
        client, gatewayUrl, STATUS_REFRESH, loaded), c -> watch(c, options.namespaces()));
    operator.register(new EventSourceMappingReconciler(eventSources, registry, client),
        c -> watch(c, options.namespaces()));
    operator.start();
    return new OperatorMode(operator, gateway, registry, eventSources, usage, metricsServer, closing);
  }

  /** All namespaces unless some are named. */
  private static <R extends HasMetadata> void watch(ControllerConfigurationOverrider<R> controller,
      Set<String> namespaces) {
    if (!namespaces.isEmpty()) {
      controller.settingNamespaces(namespaces);
    }
  }

  /** The Functions in the watched namespaces (all unless some are named). */
  private static List<Function> functions(KubernetesClient client, Set<String> namespaces) {
    if (namespaces.isEmpty()) {
      return client.resources(Function.class).inAnyNamespace().list().getItems();
    }
    return namespaces.stream()
        .flatMap(namespace -> client.resources(Function.class).inNamespace(namespace).list().getItems().stream())
        .toList();
  }

  public Gateway gateway() {
    return gateway;
  }

  public FunctionRegistry registry() {
    return registry;
  }

  /** Where a Pod's readiness probe asks whether this replica serves. */
  public String readinessUrl() {
    return metricsServer.url().replaceFirst("/metrics$", "/readyz");
  }

  /** Whether this replica runs the poller of the mapping {@code namespace/name}. */
  public boolean polls(String mappingKey) {
    return eventSources.isRunning(mappingKey);
  }

  /** Where Prometheus scrapes, e.g. {@code http://0.0.0.0:9090/metrics}. */
  public String metricsUrl() {
    return metricsServer.url();
  }

  /**
   * Stops reconciling and serving; in-flight invocations finish first. The environment Pods keep
   * running for the next operator process to adopt.
   */
  @Override
  public void close() {
    closing.set(true);
    eventSources.close();
    gateway.stop(Duration.ofSeconds(30));
    usage.close();
    operator.stop();
    registry.detach();
    metricsServer.close();
  }

  /** The innermost cause: fabric8's outer messages ("An error has occurred.") say nothing. */
  private static String rootCause(Throwable e) {
    Throwable cause = e;
    while (cause.getCause() != null && cause.getCause() != cause) {
      cause = cause.getCause();
    }
    return cause == e ? String.valueOf(e.getMessage()) : e.getMessage() + " (" + cause + ")";
  }

  static int run(List<String> args, PrintStream out, PrintStream err) {
    Options options;
    try {
      options = Options.parseOperator(args);
    } catch (IllegalArgumentException e) {
      err.println("klambda operator: " + e.getMessage());
      err.print(Options.OPERATOR_USAGE);
      return 2;
    }
    KubernetesClient client = new io.fabric8.kubernetes.client.KubernetesClientBuilder()
        .withHttpClientFactory(new io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory()).build();
    OperatorMode running;
    try {
      running = start(options, client);
    } catch (IOException | RuntimeException e) {
      err.println("klambda operator: cannot start against the API server at " + client.getMasterUrl() + ": "
          + rootCause(e));
      client.close();
      return 1;
    }
    out.println("klambda operator: gateway on " + running.gateway().baseUrl());
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      running.close();
      client.close();
    }, "klambda-shutdown"));
    return Klambda.waitForShutdown();
  }
}
