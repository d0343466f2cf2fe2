package dev.klambda.chart;

import static dev.klambda.chart.Rendered.at;
import static dev.klambda.chart.Rendered.value;
import static org.assertj.core.api.Assertions.assertThat;

import dev.klambda.agent.AgentProtocol;
import dev.klambda.cli.Options;
import dev.klambda.environments.EnvironmentPodTemplate;
import dev.klambda.function.SizingPolicy;
import dev.klambda.logging.LogFormat;
import dev.klambda.metering.Billing;
import dev.klambda.pool.PoolSpec;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * charts/klambda: lint, and what helm template renders: two Deployments, the operator (control
 * plane, {@code klambda operator}) and the gateway (data plane, {@code klambda gateway}). Each
 * one's own option parser reads the arguments rendered for it, so a flag it does not know, or a
 * value it would refuse, fails here. (The RBAC is checked against a real run of both in
 * ChartRbacIT; the CRDs in CrdDriftTest.)
 */
class HelmChartTest {
  /** Operator flags the chart leaves at their default on purpose: flag → why. */
  private static final Map<String, String> OPERATOR_FLAGS_NOT_IN_CHART =
      Map.of("--bind", "a pod listens on all its addresses, the operator's default");

  /** Gateway flags the chart leaves at their default on purpose: flag → why. */
  private static final Map<String, String> GATEWAY_FLAGS_NOT_IN_CHART =
      Map.of(
          "--bind", "a pod listens on all its addresses, the gateway's default",
          "--identity", "each replica's own name: it defaults from $HOSTNAME, the pod's name",
          "--advertise-url",
              "each replica's own address: it defaults to http://$POD_IP:PORT (POD_IP from the downward API)");

  @TempDir Path dir;

  /** Per test, not per class: each then reports itself skipped, with the reason. */
  @BeforeEach
  void helm() {
    Helm.assumeInstalled();
  }

  @Test
  void lintsStrictlyWithDefaultsAndWithEverythingOn() {
    for (List<String> values :
        List.of(
            List.<String>of(),
            List.of(
                "--set",
                "namespaces={a,b}",
                "--set",
                "networkPolicy.enabled=true",
                "--set",
                "metrics.serviceMonitor.enabled=true"))) {
      List<String> command =
          new java.util.ArrayList<>(List.of("lint", "--strict", Helm.CHART.toString()));
      command.addAll(values);
      Helm.Result lint = Helm.run(command);
      assertThat(lint.exit()).as("helm lint --strict %s:\n%s", values, lint.output()).isZero();
    }
  }

  @Test
  void theDeploymentsStartTheOperatorAndTheGatewayWithTheValuesGiven() {
    List<Map<String, Object>> chart =
        Helm.template(
            "--set", "namespaces={team-a,team-b}",
            "--set", "operator.region=eu-west-1",
            "--set", "operator.defaultNamespace=team-a",
            "--set", "operator.runtimeImage=registry.example.com/klambda/runtime:9",
            "--set", "operator.gatewayUrl=https://lambda.example.com",
            "--set", "operator.queueTimeoutSeconds=30",
            "--set", "operator.asyncRetryDelaySeconds=120",
            "--set", "operator.concurrencyLimit=100000",
            "--set", "operator.usageIntervalSeconds=60",
            "--set", "operator.sizing.minMemoryMB=128",
            "--set", "operator.sizing.maxMemoryMB=10240",
            "--set", "operator.sizing.memoryStepMB=1",
            "--set", "operator.sizing.mbPerVcpu=1769",
            "--set", "operator.billing.granularityMs=100",
            "--set", "operator.billing.billInit=false",
            "--set-string", "operator.billing.pricePerGbSecond=0.0000133334",
            "--set-string", "operator.billing.pricePerMillionRequests=0.25",
            "--set", "gateway.port=8081",
            "--set", "metrics.port=9091",
            "--set", "logFormat=json",
            "--set", "image.repository=registry.example.com/klambda/operator",
            "--set", "image.tag=9.9.9");
    Map<String, Object> operatorContainer = Rendered.operatorContainer(chart);
    Map<String, Object> gatewayContainer = Rendered.gatewayContainer(chart);

    for (Map<String, Object> container : List.of(operatorContainer, gatewayContainer)) {
      assertThat(container.get("image")).isEqualTo("registry.example.com/klambda/operator:9.9.9");
      assertThat(container)
          .as("the image's entrypoint (klambda and its JVM settings) is kept")
          .doesNotContainKey("command");
    }

    // the control plane: reconcilers and pollers
    Options operator = Options.parseOperator(Rendered.operatorArgs(chart));
    assertThat(operator.metricsPort()).isEqualTo(9091);
    assertThat(operator.namespaces()).containsExactlyInAnyOrder("team-a", "team-b");
    assertThat(operator.region()).isEqualTo("eu-west-1");
    assertThat(operator.defaultNamespace()).isEqualTo("team-a");
    assertThat(operator.gatewayUrl()).isEqualTo("https://lambda.example.com");
    assertThat(operator.queueTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(operator.sizing()).isEqualTo(new SizingPolicy(128, 10240, 1, 1769));
    assertThat(operator.logFormat()).isEqualTo(LogFormat.JSON);
    assertThat(ports(operatorContainer)).isEqualTo(Map.of("metrics", 9091));

    // the data plane: invocations, environments, billing
    Options gateway = Options.parseGateway(Rendered.gatewayArgs(chart));
    assertThat(gateway.port()).isEqualTo(8081);
    assertThat(gateway.metricsPort()).isEqualTo(9091);
    assertThat(gateway.namespaces()).containsExactlyInAnyOrder("team-a", "team-b");
    assertThat(gateway.region()).isEqualTo("eu-west-1");
    assertThat(gateway.defaultNamespace()).isEqualTo("team-a");
    assertThat(gateway.runtimeImage()).isEqualTo("registry.example.com/klambda/runtime:9");
    assertThat(gateway.queueTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(gateway.asyncRetryDelay()).isEqualTo(Duration.ofSeconds(120));
    assertThat(gateway.concurrencyLimit()).isEqualTo(100_000);
    assertThat(gateway.usageInterval()).isEqualTo(Duration.ofSeconds(60));
    assertThat(gateway.sizing()).isEqualTo(new SizingPolicy(128, 10240, 1, 1769));
    assertThat(gateway.billing())
        .isEqualTo(new Billing(100, false, new BigDecimal("0.0000133334"), new BigDecimal("0.25")));
    assertThat(gateway.logFormat()).isEqualTo(LogFormat.JSON);
    assertThat(ports(gatewayContainer)).isEqualTo(Map.of("http", 8081, "metrics", 9091));
    assertThat(servicePorts(chart))
        .isEqualTo(Map.of("klambda-gateway", 8081, "klambda-metrics", 9091));
  }

  @Test
  void defaultsAreTheOperatorsAndTheGatewaysOwnDefaults() {
    List<Map<String, Object>> chart = Helm.template();

    assertThat(Rendered.operatorContainer(chart).get("image")).isEqualTo("klambda/operator:0.1.0");
    assertThat(Rendered.gatewayContainer(chart).get("image")).isEqualTo("klambda/operator:0.1.0");
    Options operator = Options.parseOperator(Rendered.operatorArgs(chart));
    assertThat(operator)
        .usingRecursiveComparison()
        .ignoringFields("gatewayUrl", "leaderElection", "leaseNamespace", "auth.gatewayTokenFile")
        .isEqualTo(Options.parseOperator(List.of()));
    // the pollers show the gateway the ServiceAccount's projected token
    assertThat(operator.auth().gatewayTokenFile()).hasToString("/var/run/secrets/klambda/token");
    // unlike a bare `klambda operator`, the chart competes for a Lease in its own namespace
    assertThat(operator.leaderElection()).isTrue();
    assertThat(operator.leaseNamespace()).isEqualTo(Helm.RELEASE_NAMESPACE);
    // the URL the operator would derive itself, in the release's namespace
    assertThat(operator.gatewayUrl())
        .isEqualTo("http://klambda-gateway." + Helm.RELEASE_NAMESPACE + ".svc:8080");

    Options gateway = Options.parseGateway(Rendered.gatewayArgs(chart));
    // a bare `klambda gateway` authenticates too, with a key file of its own
    assertThat(gateway)
        .usingRecursiveComparison()
        .ignoringFields("leaseNamespace")
        .isEqualTo(
            Options.parseGateway(List.of("--gateway-key-file", "/etc/klambda/gateway-key/key")));
    // the replicas' Leases in the release namespace (the pod's namespace, made explicit)
    assertThat(gateway.leaseNamespace()).isEqualTo(Helm.RELEASE_NAMESPACE);
    assertThat(gateway.runtimeImage()).isEqualTo("klambda/runtime:0.1.0");
    assertThat(gateway.warmPools()).isEmpty();
    assertThat(servicePorts(chart))
        .isEqualTo(Map.of("klambda-gateway", 8080, "klambda-metrics", 9090));
    assertThat(Rendered.ofKind(chart, "ClusterRole"))
        .extracting(r -> value(r, "metadata", "name"))
        .containsExactlyInAnyOrder("klambda", "klambda-gateway", "klambda-gateway-auth");
    // on by default: klambda's own pods (every namespace served, so no environment policy)
    assertThat(Rendered.ofKind(chart, "NetworkPolicy"))
        .extracting(Rendered::namespace)
        .containsExactly((String) null);
    assertThat(Rendered.ofKind(chart, "ServiceMonitor")).isEmpty();
  }

  /**
   * A flag added to `klambda operator` or `klambda gateway` fails here until the chart sets it on
   * that Deployment (or says why not).
   */
  @Test
  void everyOperatorAndGatewayFlagIsSetFromValues() {
    // --namespaces and --warm-pool are rendered only when namespaces or pools are listed
    List<Map<String, Object>> chart =
        Helm.template(
            "--set",
            "namespaces={a}",
            "--set",
            "operator.environments.warmPool[0].namespace=a",
            "--set",
            "operator.environments.warmPool[0].runtime=provided",
            "--set",
            "operator.environments.warmPool[0].memoryMB=128",
            "--set",
            "operator.environments.warmPool[0].size=1");
    assertEveryFlagRendered(
        "operator",
        Options.OPERATOR_USAGE,
        Rendered.operatorArgs(chart),
        OPERATOR_FLAGS_NOT_IN_CHART);
    assertEveryFlagRendered(
        "gateway", Options.GATEWAY_USAGE, Rendered.gatewayArgs(chart), GATEWAY_FLAGS_NOT_IN_CHART);
  }

  private static void assertEveryFlagRendered(
      String command, String usage, List<String> args, Map<String, String> notInChart) {
    Set<String> rendered =
        args.stream().filter(a -> a.startsWith("--")).collect(Collectors.toSet());
    Matcher flags = Pattern.compile("^\\s+(--[a-z-]+)", Pattern.MULTILINE).matcher(usage);
    Set<String> listed = new java.util.HashSet<>();
    while (flags.find()) {
      listed.add(flags.group(1));
      if (!notInChart.containsKey(flags.group(1))) {
        assertThat(rendered)
            .as("values.yaml sets %s of klambda %s", flags.group(1), command)
            .contains(flags.group(1));
      }
    }
    assertThat(listed)
        .as("flags of klambda %s the chart says it leaves out", command)
        .containsAll(notInChart.keySet());
  }

  @Test
  void warmPoolsRenderAsOneFlagThatTheGatewayParses() {
    List<Map<String, Object>> chart =
        Helm.template(
            "--set", "operator.environments.warmPool[0].runtime=provided",
            "--set", "operator.environments.warmPool[0].memoryMB=128",
            "--set", "operator.environments.warmPool[0].size=2",
            "--set", "operator.environments.warmPool[1].namespace=team-b",
            "--set", "operator.environments.warmPool[1].runtime=java21",
            "--set", "operator.environments.warmPool[1].memoryMB=256",
            "--set", "operator.environments.warmPool[1].size=1");
    List<String> args = Rendered.gatewayArgs(chart);

    assertThat(args.get(args.indexOf("--warm-pool") + 1))
        .isEqualTo("provided/128=2,team-b/java21/256=1");
    assertThat(Rendered.operatorArgs(chart))
        .as("the pools are the gateway's")
        .doesNotContain("--warm-pool");
    assertThat(Options.parseGateway(args).warmPools())
        .containsExactly(
            new PoolSpec("default", "provided", 128, 2), new PoolSpec("team-b", "java21", 256, 1));
  }

  /** Large numbers from a values file (floats to helm) stay plain integers, never 1e+06. */
  @Test
  void numbersFromAValuesFileRenderAsIntegers() throws IOException {
    Path values =
        Files.writeString(
            dir.resolve("values.yaml"),
            """
        operator:
          concurrencyLimit: 100000
          sizing: {maxMemoryMB: 1048576}
          billing: {granularityMs: 3600000}
        """);
    List<Map<String, Object>> chart = Helm.template("-f", values.toString());
    Options gateway = Options.parseGateway(Rendered.gatewayArgs(chart));
    assertThat(gateway.concurrencyLimit()).isEqualTo(100_000);
    assertThat(gateway.sizing().maxMemoryMB()).isEqualTo(1_048_576);
    assertThat(gateway.billing().rule().granularityMillis()).isEqualTo(3_600_000);
    assertThat(Options.parseOperator(Rendered.operatorArgs(chart)).sizing().maxMemoryMB())
        .isEqualTo(1_048_576);
  }

  @Test
  void theOperatorAndGatewayPodsMeetTheRestrictedPodSecurityStandard() {
    List<Map<String, Object>> chart = Helm.template();
    for (Map<String, Object> deployment :
        List.of(Rendered.operatorDeployment(chart), Rendered.gatewayDeployment(chart))) {
      assertRestrictedAndProbed(deployment);
    }
    assertThat(value(Rendered.operatorDeployment(chart), "spec", "strategy", "type"))
        .as("never two operators at once")
        .isEqualTo("Recreate");
    Map<String, Object> gateway = Rendered.gatewayDeployment(chart);
    assertThat(value(gateway, "spec", "strategy", "type"))
        .as("gateways are replaced one by one")
        .isEqualTo("RollingUpdate");
    assertThat(value(gateway, "spec", "strategy", "rollingUpdate", "maxUnavailable")).isEqualTo(0);
  }

  private static void assertRestrictedAndProbed(Map<String, Object> deployment) {
    Map<String, Object> pod = at(deployment, "spec", "template", "spec");
    Map<String, Object> container = at(pod, "containers", 0);

    assertThat(value(pod, "securityContext", "runAsNonRoot")).isEqualTo(true);
    assertThat(value(pod, "securityContext", "seccompProfile", "type")).isEqualTo("RuntimeDefault");
    assertThat(value(container, "securityContext", "allowPrivilegeEscalation")).isEqualTo(false);
    assertThat(value(container, "securityContext", "readOnlyRootFilesystem")).isEqualTo(true);
    assertThat(value(container, "securityContext", "capabilities", "drop"))
        .isEqualTo(List.of("ALL"));
    // /tmp is the one writable mount; the other is a read-only credential (the gateway's key, the
    // operator's token for the gateway)
    List<Map<String, Object>> mounts = at(container, "volumeMounts");
    assertThat(mounts.get(0)).isEqualTo(Map.of("name", "tmp", "mountPath", "/tmp"));
    assertThat(mounts.subList(1, mounts.size()))
        .allSatisfy(mount -> assertThat(mount.get("readOnly")).isEqualTo(true));
    assertThat(value(pod, "volumes", 0, "name")).isEqualTo("tmp");
    assertThat((Map<?, ?>) at(pod, "volumes", 0, "emptyDir")).isNotNull();
    // probes: the operations port's health (process up) and readiness (the operator replica leads;
    // a gateway replica routes and has loaded the Functions)
    assertThat(value(container, "livenessProbe", "httpGet"))
        .isEqualTo(Map.of("path", "/healthz", "port", "metrics"));
    assertThat(value(container, "startupProbe", "httpGet"))
        .isEqualTo(Map.of("path", "/healthz", "port", "metrics"));
    assertThat(value(container, "readinessProbe", "httpGet"))
        .isEqualTo(Map.of("path", "/readyz", "port", "metrics"));
    Map<String, String> podLabels = at(deployment, "spec", "template", "metadata", "labels");
    assertThat(podLabels)
        .as("the label that marks environment pods")
        .doesNotContainKey(EnvironmentPodTemplate.MANAGED_BY);
  }

  @Test
  void theNetworkPolicyLetsOnlyTheGatewayReachEnvironmentPods() {
    List<Map<String, Object>> chart = Helm.template("--set", "namespaces={team-a,team-b}");
    List<Map<String, Object>> policies =
        Rendered.ofKind(chart, "NetworkPolicy").stream()
            .filter(p -> Rendered.namespace(p) != null)
            .toList();
    Map<String, Object> gatewayPodLabels = podLabels(Rendered.gatewayDeployment(chart));

    assertThat(policies).extracting(Rendered::namespace).containsExactly("team-a", "team-b");
    for (Map<String, Object> policy : policies) {
      assertThat(value(policy, "spec", "podSelector", "matchLabels"))
          .isEqualTo(Map.of(EnvironmentPodTemplate.MANAGED_BY, "klambda"));
      assertThat(value(policy, "spec", "policyTypes")).isEqualTo(List.of("Ingress"));
      List<Map<String, Object>> ingress = at(policy, "spec", "ingress");
      assertThat(ingress).hasSize(1);
      assertThat(value(ingress.getFirst(), "ports"))
          .isEqualTo(List.of(Map.of("port", AgentProtocol.INVOKE_PORT, "protocol", "TCP")));
      assertThat(value(ingress.getFirst(), "from"))
          .isEqualTo(
              List.of(
                  Map.of(
                      "namespaceSelector",
                          Map.of(
                              "matchLabels",
                              Map.of("kubernetes.io/metadata.name", Helm.RELEASE_NAMESPACE)),
                      "podSelector", Map.of("matchLabels", gatewayPodLabels))));
      assertThat(
              selects(
                  at(ingress.getFirst(), "from", 0, "podSelector", "matchLabels"),
                  Rendered.operatorDeployment(chart)))
          .as("the operator pods do not invoke environments")
          .isFalse();
    }

    // every namespace served: no environment policy (one protects only its own namespace); the
    // agents' invoke tokens still do
    assertThat(Rendered.ofKind(Helm.template(), "NetworkPolicy"))
        .extracting(Rendered::namespace)
        .containsExactly((String) null);
    assertThat(
            Rendered.ofKind(Helm.template("--set", "networkPolicy.enabled=false"), "NetworkPolicy"))
        .isEmpty();
  }

  @Test
  void klambdasOwnPodsTakeTheInvokeApiFromAnyoneAndMetricsOnlyFromPrometheus() {
    List<Map<String, Object>> chart = Helm.template();
    Map<String, Object> policy = Rendered.ofKind(chart, "NetworkPolicy").getFirst();
    assertThat(
            selects(
                at(policy, "spec", "podSelector", "matchLabels"),
                Rendered.gatewayDeployment(chart)))
        .isTrue();
    assertThat(
            selects(
                at(policy, "spec", "podSelector", "matchLabels"),
                Rendered.operatorDeployment(chart)))
        .isTrue();
    List<Map<String, Object>> ingress = at(policy, "spec", "ingress");
    assertThat(ingress).hasSize(2);
    assertThat(ingress.get(0))
        .isEqualTo(Map.of("ports", List.of(Map.of("port", 8080, "protocol", "TCP"))));
    assertThat(value(ingress.get(1), "ports"))
        .isEqualTo(List.of(Map.of("port", 9090, "protocol", "TCP")));
    assertThat(value(ingress.get(1), "from"))
        .isEqualTo(
            List.of(
                Map.of("podSelector", Map.of()),
                Map.of(
                    "namespaceSelector",
                    Map.of("matchLabels", Map.of("kubernetes.io/metadata.name", "monitoring")))));
  }

  @Test
  void theServiceMonitorScrapesTheMetricsService() {
    List<Map<String, Object>> chart =
        Helm.template(
            "--set",
            "metrics.serviceMonitor.enabled=true",
            "--set",
            "metrics.serviceMonitor.labels.release=prometheus");
    Map<String, Object> monitor = Rendered.single(chart, "ServiceMonitor");
    Map<String, Object> metricsService =
        Rendered.ofKind(chart, "Service").stream()
            .filter(s -> "klambda-metrics".equals(at(s, "metadata", "name")))
            .findFirst()
            .orElseThrow();

    assertThat(value(monitor, "apiVersion")).isEqualTo("monitoring.coreos.com/v1");
    assertThat(Rendered.<Map<String, String>>at(monitor, "metadata", "labels"))
        .containsEntry("release", "prometheus");
    assertThat(Rendered.<Map<String, String>>at(metricsService, "metadata", "labels"))
        .containsAllEntriesOf(at(monitor, "spec", "selector", "matchLabels"));
    assertThat(value(monitor, "spec", "endpoints", 0, "port")).isEqualTo("metrics");
    assertThat(value(monitor, "spec", "endpoints", 0, "path")).isEqualTo("/metrics");
  }

  @Test
  void metricsBehindRbacComeWithAReaderRoleAndAScraperThatShowsItsToken() {
    List<Map<String, Object>> chart =
        Helm.template(
            "--set", "metrics.auth=kubernetes", "--set", "metrics.serviceMonitor.enabled=true");
    assertThat(Rendered.gatewayArgs(chart)).containsSubsequence("--metrics-auth", "kubernetes");
    assertThat(Rendered.operatorArgs(chart)).containsSubsequence("--metrics-auth", "kubernetes");
    Map<String, Object> reader =
        Rendered.ofKind(chart, "ClusterRole").stream()
            .filter(r -> "klambda-metrics-reader".equals(at(r, "metadata", "name")))
            .findFirst()
            .orElseThrow();
    assertThat(value(reader, "rules"))
        .isEqualTo(
            List.of(Map.of("nonResourceURLs", List.of("/metrics"), "verbs", List.of("get"))));
    assertThat(Grants.of(chart, "klambda", Helm.RELEASE_NAMESPACE).all())
        .as("the operator reviews scrapers' tokens too")
        .contains(
            "authentication.k8s.io tokenreviews create",
            "authorization.k8s.io subjectaccessreviews create");
    assertThat(
            value(
                Rendered.single(chart, "ServiceMonitor"),
                "spec",
                "endpoints",
                0,
                "bearerTokenFile"))
        .isEqualTo("/var/run/secrets/kubernetes.io/serviceaccount/token");
  }

  @Test
  void rbacOptions() {
    String secrets = "core secrets get";
    List<Map<String, Object>> chart = Helm.template();
    assertThat(Rendered.serviceAccountName(Rendered.operatorDeployment(chart)))
        .isEqualTo("klambda");
    assertThat(Rendered.serviceAccountName(Rendered.gatewayDeployment(chart)))
        .isEqualTo("klambda-gateway");
    assertThat(Rendered.ofKind(chart, "ServiceAccount"))
        .extracting(a -> value(a, "metadata", "name"))
        .containsExactlyInAnyOrder("klambda", "klambda-gateway");
    assertThat(Grants.of(chart, "klambda", Helm.RELEASE_NAMESPACE).all()).contains(secrets);
    assertThat(Grants.of(chart, "klambda-gateway", Helm.RELEASE_NAMESPACE).all())
        .as("the gateway reads Event destinations' credentials")
        .contains(secrets);
    List<Map<String, Object>> noSecrets = Helm.template("--set", "rbac.readSecrets=false");
    assertThat(Grants.of(noSecrets, "klambda", Helm.RELEASE_NAMESPACE).all())
        .doesNotContain(secrets);
    assertThat(Grants.of(noSecrets, "klambda-gateway", Helm.RELEASE_NAMESPACE).all())
        .doesNotContain(secrets);
    // authentication: the gateway reviews tokens and asks RBAC; the operator's pollers may invoke
    assertThat(Grants.of(chart, "klambda-gateway", Helm.RELEASE_NAMESPACE).all())
        .contains(
            "authentication.k8s.io tokenreviews create",
                "authorization.k8s.io subjectaccessreviews create",
            "core secrets list", "core secrets watch");
    assertThat(Grants.of(chart, "klambda", Helm.RELEASE_NAMESPACE).all())
        .contains("klambda.dev functions invoke");
    List<Map<String, Object>> open = Helm.template("--set", "gateway.auth.methods=none");
    assertThat(Grants.of(open, "klambda-gateway", Helm.RELEASE_NAMESPACE).all())
        .doesNotContain("authentication.k8s.io tokenreviews create", "core secrets list");
    assertThat(Grants.of(open, "klambda", Helm.RELEASE_NAMESPACE).all())
        .doesNotContain("klambda.dev functions invoke");
    List<Map<String, Object>> none =
        Helm.template(
            "--set",
            "rbac.create=false",
            "--set",
            "serviceAccount.create=false",
            "--set",
            "serviceAccount.name=mine",
            "--set",
            "gateway.serviceAccount.create=false",
            "--set",
            "gateway.serviceAccount.name=mine-gateway");
    assertThat(none)
        .extracting(d -> d.get("kind"))
        .doesNotContain(
            "ClusterRole", "Role", "ClusterRoleBinding", "RoleBinding", "ServiceAccount");
    assertThat(Rendered.serviceAccountName(Rendered.operatorDeployment(none))).isEqualTo("mine");
    assertThat(Rendered.serviceAccountName(Rendered.gatewayDeployment(none)))
        .isEqualTo("mine-gateway");
  }

  @Test
  void theGatewayRunsTheGivenReplicasWithADisruptionBudget() {
    List<Map<String, Object>> chart = Helm.template();
    Map<String, Object> gateway = Rendered.gatewayDeployment(chart);
    Map<String, Object> operator = Rendered.operatorDeployment(chart);

    assertThat(value(gateway, "spec", "replicas")).isEqualTo(2);
    assertThat(value(operator, "spec", "replicas")).isEqualTo(1);
    assertThat(
            value(
                Rendered.gatewayDeployment(Helm.template("--set", "gateway.replicas=5")),
                "spec",
                "replicas"))
        .isEqualTo(5);
    assertThat(Rendered.ofKind(chart, "HorizontalPodAutoscaler")).isEmpty();

    Map<String, Object> budget = Rendered.single(chart, "PodDisruptionBudget");
    Map<String, Object> budgetSelector = at(budget, "spec", "selector", "matchLabels");
    assertThat(selects(budgetSelector, gateway)).as("the budget covers the gateway pods").isTrue();
    assertThat(selects(budgetSelector, operator)).as("and not the operator's").isFalse();
    assertThat(value(gateway, "spec", "selector", "matchLabels"))
        .as("the Deployment's own selector")
        .isEqualTo(budgetSelector);
  }

  @Test
  void theGatewayServiceSelectsOnlyGatewayPods() {
    List<Map<String, Object>> chart = Helm.template();
    Map<String, Object> service = service(chart, "klambda-gateway");

    assertThat(selects(at(service, "spec", "selector"), Rendered.gatewayDeployment(chart)))
        .isTrue();
    assertThat(selects(at(service, "spec", "selector"), Rendered.operatorDeployment(chart)))
        .as("the operator serves no invocations")
        .isFalse();
    assertThat(value(service, "spec", "ports", 0, "targetPort")).isEqualTo("http");
    assertThat(ports(Rendered.gatewayContainer(chart))).containsKey("http");
    // the metrics Service: both components' metrics
    Map<String, Object> metrics = service(chart, "klambda-metrics");
    assertThat(selects(at(metrics, "spec", "selector"), Rendered.gatewayDeployment(chart)))
        .isTrue();
    assertThat(selects(at(metrics, "spec", "selector"), Rendered.operatorDeployment(chart)))
        .isTrue();
  }

  @Test
  void gatewayAutoscalingRendersAnHpaInsteadOfReplicas() {
    List<Map<String, Object>> chart =
        Helm.template(
            "--set",
            "gateway.autoscaling.minReplicas=2,"
                + "gateway.autoscaling.maxReplicas=10,gateway.autoscaling.targetCPUUtilizationPercentage=70");
    Map<String, Object> gateway = Rendered.gatewayDeployment(chart);
    Map<String, Object> hpa = Rendered.single(chart, "HorizontalPodAutoscaler");

    assertThat(Rendered.<Map<String, Object>>at(gateway, "spec"))
        .as("the HPA sets the count")
        .doesNotContainKey("replicas");
    assertThat(value(Rendered.operatorDeployment(chart), "spec", "replicas")).isEqualTo(1);
    assertThat(value(hpa, "spec", "scaleTargetRef"))
        .isEqualTo(
            Map.of(
                "apiVersion",
                "apps/v1",
                "kind",
                "Deployment",
                "name",
                value(gateway, "metadata", "name")));
    assertThat(value(hpa, "spec", "minReplicas")).isEqualTo(2);
    assertThat(value(hpa, "spec", "maxReplicas")).isEqualTo(10);
    assertThat(value(hpa, "spec", "metrics", 0, "resource", "name")).isEqualTo("cpu");
    assertThat(value(hpa, "spec", "metrics", 0, "resource", "target", "averageUtilization"))
        .isEqualTo(70);
  }

  private static Map<String, Object> podLabels(Map<String, Object> deployment) {
    return at(deployment, "spec", "template", "metadata", "labels");
  }

  /** Whether a label selector (matchLabels) selects the pods of this Deployment. */
  private static boolean selects(Map<String, Object> selector, Map<String, Object> deployment) {
    return podLabels(deployment).entrySet().containsAll(selector.entrySet());
  }

  private static Map<String, Object> service(List<Map<String, Object>> chart, String name) {
    return Rendered.ofKind(chart, "Service").stream()
        .filter(s -> name.equals(at(s, "metadata", "name")))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void theSchemaRefusesWrongValues() {
    Map<String, String> refused =
        Map.of(
            "operator.concurrencyLimit=0",
                "operator.concurrencyLimit: Must be greater than or equal to 1",
            "operator.unknown=1", "Additional property unknown is not allowed",
            "gateway.port=70000", "gateway.port: Must be less than or equal to 65535",
            "operator.queueTimeoutSeconds=ten", "operator.queueTimeoutSeconds: Invalid type",
            "namespaces={Not_A_Namespace}", "namespaces.0: Does not match pattern",
            "operator.billing.pricePerGbSecond=cheap",
                "operator.billing.pricePerGbSecond: Does not match pattern");
    refused.forEach(
        (value, message) -> {
          Helm.Result result =
              Helm.run(List.of("template", "klambda", Helm.CHART.toString(), "--set", value));
          assertThat(result.exit()).as("--set %s", value).isNotZero();
          assertThat(result.output()).as("--set %s", value).contains(message);
        });
  }

  private static Map<String, Integer> ports(Map<String, Object> container) {
    List<Map<String, Object>> ports = at(container, "ports");
    return ports.stream()
        .collect(
            Collectors.toMap(p -> (String) p.get("name"), p -> (Integer) p.get("containerPort")));
  }

  private static Map<String, Integer> servicePorts(List<Map<String, Object>> chart) {
    return Rendered.ofKind(chart, "Service").stream()
        .collect(
            Collectors.toMap(
                s -> at(s, "metadata", "name"), s -> at(s, "spec", "ports", 0, "port")));
  }
}
