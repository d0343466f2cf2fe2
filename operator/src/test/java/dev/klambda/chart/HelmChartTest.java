package dev.klambda.chart;

import static dev.klambda.chart.Rendered.at;
import static dev.klambda.chart.Rendered.value;
import static org.assertj.core.api.Assertions.assertThat;

import dev.klambda.Options;
import dev.klambda.agent.AgentProtocol;
import dev.klambda.environments.EnvironmentPodTemplate;
import dev.klambda.function.SizingPolicy;
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
 * charts/klambda: lint, and what helm template renders. The operator's own option parser reads the
 * rendered arguments, so a flag the operator does not know, or a value it would refuse, fails here.
 * (Its RBAC is checked against a real operator run in ChartRbacIT; its CRDs in CrdDriftTest.)
 */
class HelmChartTest {
  /** Operator flags the chart leaves at their default on purpose: flag → why. */
  private static final Map<String, String> FLAGS_NOT_IN_CHART = Map.of(
      "--bind", "a pod listens on all its addresses, the operator's default");

  @TempDir Path dir;

  /** Per test, not per class: each then reports itself skipped, with the reason. */
  @BeforeEach
  void helm() {
    Helm.assumeInstalled();
  }

  @Test
  void lintsStrictlyWithDefaultsAndWithEverythingOn() {
    for (List<String> values : List.of(List.<String>of(), List.of("--set", "namespaces={a,b}",
        "--set", "networkPolicy.enabled=true", "--set", "metrics.serviceMonitor.enabled=true"))) {
      List<String> command = new java.util.ArrayList<>(List.of("lint", "--strict", Helm.CHART.toString()));
      command.addAll(values);
      Helm.Result lint = Helm.run(command);
      assertThat(lint.exit()).as("helm lint --strict %s:\n%s", values, lint.output()).isZero();
    }
  }

  @Test
  void theDeploymentStartsTheOperatorWithTheValuesGiven() {
    List<Map<String, Object>> chart = Helm.template(
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
        "--set", "image.repository=registry.example.com/klambda/operator",
        "--set", "image.tag=9.9.9");
    Map<String, Object> container = Rendered.operatorContainer(chart);

    assertThat(container.get("image")).isEqualTo("registry.example.com/klambda/operator:9.9.9");
    assertThat(container).as("the image's entrypoint (klambda operator and its JVM settings) is kept")
        .doesNotContainKey("command");
    Options options = Options.parseOperator(Rendered.operatorArgs(chart));
    assertThat(options.port()).isEqualTo(8081);
    assertThat(options.metricsPort()).isEqualTo(9091);
    assertThat(options.namespaces()).containsExactlyInAnyOrder("team-a", "team-b");
    assertThat(options.region()).isEqualTo("eu-west-1");
    assertThat(options.defaultNamespace()).isEqualTo("team-a");
    assertThat(options.runtimeImage()).isEqualTo("registry.example.com/klambda/runtime:9");
    assertThat(options.gatewayUrl()).isEqualTo("https://lambda.example.com");
    assertThat(options.queueTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(options.asyncRetryDelay()).isEqualTo(Duration.ofSeconds(120));
    assertThat(options.concurrencyLimit()).isEqualTo(100_000);
    assertThat(options.usageInterval()).isEqualTo(Duration.ofSeconds(60));
    assertThat(options.sizing()).isEqualTo(new SizingPolicy(128, 10240, 1, 1769));
    assertThat(options.billing()).isEqualTo(
        new Billing(100, false, new BigDecimal("0.0000133334"), new BigDecimal("0.25")));
    assertThat(ports(container)).isEqualTo(Map.of("http", 8081, "metrics", 9091));
    assertThat(servicePorts(chart)).isEqualTo(Map.of("klambda-gateway", 8081, "klambda-metrics", 9091));
  }

  @Test
  void defaultsAreTheOperatorsOwnDefaults() {
    List<Map<String, Object>> chart = Helm.template();

    assertThat(Rendered.operatorContainer(chart).get("image")).isEqualTo("klambda/operator:0.1.0");
    Options options = Options.parseOperator(Rendered.operatorArgs(chart));
    assertThat(options).usingRecursiveComparison().ignoringFields("gatewayUrl", "leaderElection", "leaseNamespace")
        .isEqualTo(Options.parseOperator(List.of()));
    // unlike a bare `klambda operator`, the chart competes for a Lease in its own namespace
    assertThat(options.leaderElection()).isTrue();
    assertThat(options.leaseNamespace()).isEqualTo(Helm.RELEASE_NAMESPACE);
    assertThat(options.runtimeImage()).isEqualTo("klambda/runtime:0.1.0");
    // the URL the operator would derive itself, in the release's namespace
    assertThat(options.gatewayUrl()).isEqualTo("http://klambda-gateway." + Helm.RELEASE_NAMESPACE + ".svc:8080");
    assertThat(servicePorts(chart)).isEqualTo(Map.of("klambda-gateway", 8080, "klambda-metrics", 9090));
    assertThat(Rendered.ofKind(chart, "ClusterRole")).hasSize(1);
    assertThat(Rendered.ofKind(chart, "NetworkPolicy")).isEmpty();
    assertThat(Rendered.ofKind(chart, "ServiceMonitor")).isEmpty();
  }

  /** A flag added to `klambda operator` fails here until the chart sets it (or says why not). */
  @Test
  void everyOperatorFlagIsSetFromValues() {
    // --namespaces and --warm-pool are rendered only when namespaces or pools are listed
    Set<String> rendered = Rendered.operatorArgs(Helm.template("--set", "namespaces={a}",
            "--set", "operator.environments.warmPool[0].namespace=a",
            "--set", "operator.environments.warmPool[0].runtime=provided",
            "--set", "operator.environments.warmPool[0].memoryMB=128",
            "--set", "operator.environments.warmPool[0].size=1")).stream()
        .filter(a -> a.startsWith("--")).collect(Collectors.toSet());
    Matcher flags = Pattern.compile("^\\s+(--[a-z-]+)", Pattern.MULTILINE).matcher(Options.OPERATOR_USAGE);
    while (flags.find()) {
      if (!FLAGS_NOT_IN_CHART.containsKey(flags.group(1))) {
        assertThat(rendered).as("values.yaml sets %s", flags.group(1)).contains(flags.group(1));
      }
    }
  }

  @Test
  void warmPoolsRenderAsOneFlagThatTheOperatorParses() {
    List<String> args = Rendered.operatorArgs(Helm.template(
        "--set", "operator.environments.warmPool[0].runtime=provided",
        "--set", "operator.environments.warmPool[0].memoryMB=128",
        "--set", "operator.environments.warmPool[0].size=2",
        "--set", "operator.environments.warmPool[1].namespace=team-b",
        "--set", "operator.environments.warmPool[1].runtime=java21",
        "--set", "operator.environments.warmPool[1].memoryMB=256",
        "--set", "operator.environments.warmPool[1].size=1"));

    assertThat(args.get(args.indexOf("--warm-pool") + 1)).isEqualTo("provided/128=2,team-b/java21/256=1");
    assertThat(Options.parseOperator(args).warmPools()).containsExactly(
        new PoolSpec("default", "provided", 128, 2),
        new PoolSpec("team-b", "java21", 256, 1));
  }

  /** Large numbers from a values file (floats to helm) stay plain integers, never 1e+06. */
  @Test
  void numbersFromAValuesFileRenderAsIntegers() throws IOException {
    Path values = Files.writeString(dir.resolve("values.yaml"), """
        operator:
          concurrencyLimit: 100000
          sizing: {maxMemoryMB: 1048576}
          billing: {granularityMs: 3600000}
        """);
    Options options = Options.parseOperator(Rendered.operatorArgs(Helm.template("-f", values.toString())));
    assertThat(options.concurrencyLimit()).isEqualTo(100_000);
    assertThat(options.sizing().maxMemoryMB()).isEqualTo(1_048_576);
    assertThat(options.billing().granularityMillis()).isEqualTo(3_600_000);
  }

  @Test
  void theOperatorPodMeetsTheRestrictedPodSecurityStandard() {
    Map<String, Object> deployment = Rendered.single(Helm.template(), "Deployment");
    Map<String, Object> pod = at(deployment, "spec", "template", "spec");
    Map<String, Object> container = at(pod, "containers", 0);

    assertThat(value(pod, "securityContext", "runAsNonRoot")).isEqualTo(true);
    assertThat(value(pod, "securityContext", "seccompProfile", "type")).isEqualTo("RuntimeDefault");
    assertThat(value(container, "securityContext", "allowPrivilegeEscalation")).isEqualTo(false);
    assertThat(value(container, "securityContext", "readOnlyRootFilesystem")).isEqualTo(true);
    assertThat(value(container, "securityContext", "capabilities", "drop")).isEqualTo(List.of("ALL"));
    assertThat(value(container, "volumeMounts")).isEqualTo(List.of(Map.of("name", "tmp", "mountPath", "/tmp")));
    assertThat(value(pod, "volumes", 0, "name")).isEqualTo("tmp");
    assertThat((Map<?, ?>) at(pod, "volumes", 0, "emptyDir")).isNotNull();
    // probes: the operations port's health (process up) and readiness (this replica leads)
    assertThat(value(container, "livenessProbe", "httpGet")).isEqualTo(Map.of("path", "/healthz", "port", "metrics"));
    assertThat(value(container, "startupProbe", "httpGet")).isEqualTo(Map.of("path", "/healthz", "port", "metrics"));
    assertThat(value(container, "readinessProbe", "httpGet")).isEqualTo(Map.of("path", "/readyz", "port", "metrics"));
    assertThat(value(deployment, "spec", "strategy", "type")).as("never two operators at once").isEqualTo("Recreate");
    Map<String, String> podLabels = at(deployment, "spec", "template", "metadata", "labels");
    assertThat(podLabels).as("the label that marks environment pods").doesNotContainKey(EnvironmentPodTemplate.MANAGED_BY);
  }

  @Test
  void theNetworkPolicyLetsOnlyTheOperatorReachEnvironmentPods() {
    List<Map<String, Object>> chart = Helm.template("--set", "networkPolicy.enabled=true",
        "--set", "namespaces={team-a,team-b}");
    List<Map<String, Object>> policies = Rendered.ofKind(chart, "NetworkPolicy");
    Map<String, Object> operatorPodLabels = at(Rendered.single(chart, "Deployment"), "spec", "template", "metadata", "labels");

    assertThat(policies).extracting(Rendered::namespace).containsExactly("team-a", "team-b");
    for (Map<String, Object> policy : policies) {
      assertThat(value(policy, "spec", "podSelector", "matchLabels"))
          .isEqualTo(Map.of(EnvironmentPodTemplate.MANAGED_BY, "klambda"));
      assertThat(value(policy, "spec", "policyTypes")).isEqualTo(List.of("Ingress"));
      List<Map<String, Object>> ingress = at(policy, "spec", "ingress");
      assertThat(ingress).hasSize(1);
      assertThat(value(ingress.getFirst(), "ports")).isEqualTo(List.of(Map.of("port", AgentProtocol.INVOKE_PORT, "protocol", "TCP")));
      assertThat(value(ingress.getFirst(), "from")).isEqualTo(List.of(Map.of(
          "namespaceSelector", Map.of("matchLabels", Map.of("kubernetes.io/metadata.name", Helm.RELEASE_NAMESPACE)),
          "podSelector", Map.of("matchLabels", operatorPodLabels))));
    }

    Helm.Result everywhere = Helm.run(List.of("template", "klambda", Helm.CHART.toString(),
        "--set", "networkPolicy.enabled=true"));
    assertThat(everywhere.exit()).isNotZero();
    assertThat(everywhere.output()).contains("a NetworkPolicy protects only the pods of its own namespace");
  }

  @Test
  void theServiceMonitorScrapesTheMetricsService() {
    List<Map<String, Object>> chart = Helm.template("--set", "metrics.serviceMonitor.enabled=true",
        "--set", "metrics.serviceMonitor.labels.release=prometheus");
    Map<String, Object> monitor = Rendered.single(chart, "ServiceMonitor");
    Map<String, Object> metricsService = Rendered.ofKind(chart, "Service").stream()
        .filter(s -> "klambda-metrics".equals(at(s, "metadata", "name"))).findFirst().orElseThrow();

    assertThat(value(monitor, "apiVersion")).isEqualTo("monitoring.coreos.com/v1");
    assertThat(Rendered.<Map<String, String>>at(monitor, "metadata", "labels")).containsEntry("release", "prometheus");
    assertThat(Rendered.<Map<String, String>>at(metricsService, "metadata", "labels"))
        .containsAllEntriesOf(at(monitor, "spec", "selector", "matchLabels"));
    assertThat(value(monitor, "spec", "endpoints", 0, "port")).isEqualTo("metrics");
    assertThat(value(monitor, "spec", "endpoints", 0, "path")).isEqualTo("/metrics");
  }

  @Test
  void rbacOptions() {
    String secrets = "core secrets get";
    assertThat(Grants.of(Helm.template(), "klambda", Helm.RELEASE_NAMESPACE).all()).contains(secrets);
    assertThat(Grants.of(Helm.template("--set", "rbac.readSecrets=false"), "klambda", Helm.RELEASE_NAMESPACE).all())
        .doesNotContain(secrets);
    List<Map<String, Object>> none = Helm.template("--set", "rbac.create=false", "--set", "serviceAccount.create=false",
        "--set", "serviceAccount.name=mine");
    assertThat(none).extracting(d -> d.get("kind")).doesNotContain("ClusterRole", "Role", "ClusterRoleBinding",
        "RoleBinding", "ServiceAccount");
    assertThat(value(Rendered.single(none, "Deployment"), "spec", "template", "spec", "serviceAccountName")).isEqualTo("mine");
  }

  @Test
  void theSchemaRefusesWrongValues() {
    Map<String, String> refused = Map.of(
        "operator.concurrencyLimit=0", "operator.concurrencyLimit: Must be greater than or equal to 1",
        "operator.unknown=1", "Additional property unknown is not allowed",
        "gateway.port=70000", "gateway.port: Must be less than or equal to 65535",
        "operator.queueTimeoutSeconds=ten", "operator.queueTimeoutSeconds: Invalid type",
        "namespaces={Not_A_Namespace}", "namespaces.0: Does not match pattern",
        "operator.billing.pricePerGbSecond=cheap", "operator.billing.pricePerGbSecond: Does not match pattern");
    refused.forEach((value, message) -> {
      Helm.Result result = Helm.run(List.of("template", "klambda", Helm.CHART.toString(), "--set", value));
      assertThat(result.exit()).as("--set %s", value).isNotZero();
      assertThat(result.output()).as("--set %s", value).contains(message);
    });
  }

  private static Map<String, Integer> ports(Map<String, Object> container) {
    List<Map<String, Object>> ports = at(container, "ports");
    return ports.stream().collect(Collectors.toMap(p -> (String) p.get("name"), p -> (Integer) p.get("containerPort")));
  }

  private static Map<String, Integer> servicePorts(List<Map<String, Object>> chart) {
    return Rendered.ofKind(chart, "Service").stream().collect(Collectors.toMap(
        s -> at(s, "metadata", "name"), s -> at(s, "spec", "ports", 0, "port")));
  }
}
