package dev.klambda;

import dev.klambda.api.Function;
import dev.klambda.cli.Options;
import dev.klambda.controller.EventSourceMappingReconciler;
import dev.klambda.controller.FunctionReconciler;
import dev.klambda.destinations.ClusterSecrets;
import dev.klambda.eventsources.EventSourceManager;
import dev.klambda.eventsources.GatewayInvoker;
import dev.klambda.function.FunctionConfig;
import dev.klambda.function.FunctionValidator;
import dev.klambda.metering.PrometheusMetrics;
import dev.klambda.operations.OperationsServer;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.ControllerConfigurationOverrider;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code klambda operator}: the control plane, wired by hand. The reconcilers judge Functions and
 * EventSourceMappings and write their status; the leader runs the event source pollers, which
 * invoke through the gateway tier like any client. JOSDK runs without server-side apply, the same
 * here as in tests. No invocation passes through this process.
 */
public final class OperatorMode implements AutoCloseable {
  private static final Duration STATUS_REFRESH = Duration.ofSeconds(10);

  private final Operator operator;
  private final EventSourceManager eventSources;
  private final OperationsServer metricsServer;
  private final AtomicBoolean closing;
  private final String gatewayUrl;

  private OperatorMode(
      Operator operator,
      EventSourceManager eventSources,
      OperationsServer metricsServer,
      AtomicBoolean closing,
      String gatewayUrl) {
    this.operator = operator;
    this.eventSources = eventSources;
    this.metricsServer = metricsServer;
    this.closing = closing;
    this.gatewayUrl = gatewayUrl;
  }

  public static OperatorMode start(Options options, KubernetesClient client) throws IOException {
    return start(options, client, LeaderElection.of(options, client));
  }

  /**
   * @param election null: this replica is the only one and leads at once
   */
  public static OperatorMode start(
      Options options, KubernetesClient client, LeaderElection election) throws IOException {
    PrometheusMetrics metrics = new PrometheusMetrics();
    AtomicBoolean leading = new AtomicBoolean(election == null);
    AtomicBoolean closing = new AtomicBoolean();
    OperationsServer metricsServer =
        new OperationsServer(
            new InetSocketAddress(options.bind(), options.metricsPort()),
            metrics,
            leading::get,
            InCluster.metricsReaders(options, client));
    metricsServer.start();

    String gatewayUrl = gatewayUrl(options, client);
    EventSourceManager eventSources =
        EventSourceManager.through(
            new GatewayInvoker(URI.create(gatewayUrl), options.auth().gatewayTokenFile()),
            options.region(),
            metrics.mappings(),
            new ClusterSecrets(client));
    Operator operator =
        new Operator(
            o -> {
              o.withKubernetesClient(client)
                  .withMetrics(MicrometerMetrics.withoutPerResourceMetrics(metrics.registry()))
                  .withCloseClientOnStop(false)
                  .withSSABasedCreateUpdateMatchForDependentResources(false)
                  .withUseSSAToPatchPrimaryResource(false);
              if (election != null) {
                o.withLeaderElectionConfiguration(
                    election.configuration(
                        () -> {
                          eventSources.resume();
                          leading.set(true);
                        },
                        () -> {
                          leading.set(false);
                          eventSources
                              .suspend(); // another replica owns the mappings now, even if a
                          // reconcile still runs here
                          if (election.exitOnStopLeading() && !closing.get()) {
                            // lost, not given up: leave (the shutdown hook stops the pollers), come
                            // back as a standby
                            Thread.ofPlatform()
                                .name("klambda-lost-lease")
                                .start(() -> System.exit(1));
                          }
                        }));
              }
            });
    FunctionValidator validator = FunctionValidator.forCluster(options.sizing());
    operator.register(
        new FunctionReconciler(validator, client, gatewayUrl, STATUS_REFRESH),
        c -> watch(c, options.namespaces()));
    operator.register(
        new EventSourceMappingReconciler(
            eventSources, key -> functionTimeout(client, key), client, options.region()),
        c -> watch(c, options.namespaces()));
    operator.start();
    return new OperatorMode(operator, eventSources, metricsServer, closing, gatewayUrl);
  }

  /**
   * {@code --gateway-url}, else the chart's gateway Service in the operator's own namespace. With
   * neither (no POD_NAMESPACE, no namespace in the kubeconfig) there is no address to derive: an
   * error naming the flag, not a URL with "null" in it.
   */
  static String gatewayUrl(Options options, KubernetesClient client) {
    if (options.gatewayUrl() != null) {
      return options.gatewayUrl();
    }
    String namespace = client.getNamespace();
    if (namespace == null || namespace.isBlank()) {
      throw new IllegalArgumentException(
          "--gateway-url is required: the operator's namespace is unknown (no "
              + "POD_NAMESPACE and no namespace in the kubeconfig), so the gateway Service's address cannot be derived");
    }
    return "http://klambda-gateway." + namespace + ".svc:8080";
  }

  /** Where invocations go (status.invokeUrl, the pollers). */
  String gatewayUrl() {
    return gatewayUrl;
  }

  /** All namespaces unless some are named. */
  private static <R extends HasMetadata> void watch(
      ControllerConfigurationOverrider<R> controller, Set<String> namespaces) {
    if (!namespaces.isEmpty()) {
      controller.settingNamespaces(namespaces);
    }
  }

  /**
   * The Function's timeout (Lambda's default when it sets none); empty when there is no such
   * Function.
   */
  private static Optional<Duration> functionTimeout(KubernetesClient client, String key) {
    int slash = key.indexOf('/');
    Function function =
        client
            .resources(Function.class)
            .inNamespace(key.substring(0, slash))
            .withName(key.substring(slash + 1))
            .get();
    return Optional.ofNullable(function)
        .map(
            f ->
                Duration.ofSeconds(
                    f.getSpec() == null || f.getSpec().getTimeoutSeconds() == null
                        ? FunctionConfig.DEFAULT_TIMEOUT_SECONDS
                        : f.getSpec().getTimeoutSeconds()));
  }

  /** Where a Pod's readiness probe asks whether this replica leads. */
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

  /** Stops the pollers (a batch in flight is not committed: it comes again) and reconciling. */
  @Override
  public void close() {
    closing.set(true);
    eventSources.close();
    operator.stop();
    metricsServer.close();
  }

  static int run(Options options, PrintStream out, PrintStream err) {
    return InCluster.run(
        "operator",
        options,
        OperatorMode::start,
        running -> "klambda operator: reconciling; invocations go through " + running.gatewayUrl());
  }
}
