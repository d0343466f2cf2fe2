package dev.klambda.controller;

import static dev.klambda.testing.Manifests.bashRuntime;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.klambda.api.Function;
import dev.klambda.api.FunctionUsage;
import dev.klambda.kubelet.KubeletFixture;
import dev.klambda.testing.LambdaClients;
import dev.klambda.testing.Manifests;
import dev.klambda.testing.MockCluster;
import dev.klambda.testing.PrometheusText;
import dev.klambda.testing.RunningKlambda;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;
import software.amazon.awssdk.services.lambda.model.ResourceNotFoundException;

/**
 * Functions on a cluster: the fabric8 mock API server in CRUD mode, a fixture playing kubelet with
 * the real agent per Pod, the operator as it ships, the AWS SDK as the client.
 */
class OperatorModeIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ECHO =
      bashRuntime(
          "",
          """
        echo "handling $1"
        respond "$1" "{\\"event\\":$2,\\"memory\\":\\"$AWS_LAMBDA_FUNCTION_MEMORY_SIZE\\",\\"greeting\\":\\"${GREETING:-}\\"}"
      """);

  @TempDir Path dir;
  private MockCluster cluster;
  private KubernetesClient client;
  private KubeletFixture kubelet;
  private RunningKlambda operator;
  private LambdaClient lambda;

  @BeforeEach
  void startCluster() throws Exception {
    cluster = new MockCluster();
    client = cluster.client();
    kubelet = new KubeletFixture(client, dir.resolve("kubelet"));
    startOperator();
  }

  private void startOperator() throws Exception {
    operator = cluster.startOperator();
    lambda = LambdaClients.of(operator.gateway().baseUrl());
  }

  private void stopOperator() {
    lambda.close();
    operator.close();
  }

  @AfterEach
  void stopCluster() {
    stopOperator();
    kubelet.close();
    cluster.close();
  }

  private void apply(String name, Map<String, Object> spec) {
    Map<String, Object> manifest = Manifests.provided(name, ECHO, spec);
    client.resource(JSON.convertValue(manifest, Function.class)).inNamespace("default").create();
  }

  private Function function(String name) {
    return client.resources(Function.class).inNamespace("default").withName(name).get();
  }

  private Condition condition(String name, String type) {
    Function function = function(name);
    if (function == null || function.getStatus() == null) {
      return null;
    }
    return function.getStatus().getConditions().stream()
        .filter(c -> c.getType().equals(type))
        .findFirst()
        .orElse(null);
  }

  private void awaitReady(String name) {
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> {
              Condition ready = condition(name, "Ready");
              return ready != null && ready.getStatus().equals("True");
            });
  }

  private List<Pod> pods(String function) {
    return client
        .pods()
        .inNamespace("default")
        .withLabel("klambda.dev/function", function)
        .list()
        .getItems();
  }

  private InvokeResponse invoke(String name, String payload) {
    return lambda.invoke(r -> r.functionName(name).payload(SdkBytes.fromUtf8String(payload)));
  }

  @Test
  void anAppliedFunctionIsReadyWithoutAnyPod() {
    apply("echo", Map.of());

    awaitReady("echo");
    Function function = function("echo");
    assertThat(function.getStatus().getObservedGeneration())
        .isEqualTo(function.getMetadata().getGeneration());
    assertThat(function.getStatus().getConditions())
        .extracting(Condition::getType)
        .containsExactly("Ready", "Invalid");
    assertThat(function.getStatus().getInvokeUrl())
        .isEqualTo(
            operator.gateway().baseUrl() + "/2015-03-31/functions/default%2Fecho/invocations");
    assertThat(
            client
                .configMaps()
                .inNamespace("default")
                .withName("echo-code")
                .get()
                .getMetadata()
                .getOwnerReferences())
        .singleElement()
        .satisfies(o -> assertThat(o.getUid()).isEqualTo(function.getMetadata().getUid()));
    assertThat(pods("echo")).isEmpty();
  }

  @Test
  void anInvocationStartsAPodShapedLikeTheFunction() throws Exception {
    apply(
        "echo",
        Map.of("memoryMB", 256, "environment", Map.of("variables", Map.of("GREETING", "hi"))));
    awaitReady("echo");

    InvokeResponse response = invoke("echo", "{\"n\":1}");

    assertThat(response.functionError()).isNull();
    assertThat(JSON.readTree(response.payload().asUtf8String()).get("event").get("n").asInt())
        .isEqualTo(1);
    assertThat(JSON.readTree(response.payload().asUtf8String()).get("memory").asText())
        .isEqualTo("256");
    Pod pod = pods("echo").getFirst();
    assertThat(pods("echo")).hasSize(1);
    Function function = function("echo");
    assertThat(pod.getMetadata().getLabels())
        .containsEntry("app.kubernetes.io/managed-by", "klambda")
        .containsEntry("klambda.dev/function", "echo")
        .containsEntry("klambda.dev/generation", "1");
    assertThat(pod.getMetadata().getOwnerReferences())
        .singleElement()
        .satisfies(
            owner -> {
              assertThat(owner.getKind()).isEqualTo("Function");
              assertThat(owner.getUid()).isEqualTo(function.getMetadata().getUid());
              assertThat(owner.getController()).isTrue();
            });
    // the function's container: exactly its memory and memory-based CPU, its launcher, /tmp
    Container container = pod.getSpec().getContainers().getFirst();
    assertThat(pod.getSpec().getContainers())
        .singleElement()
        .extracting(Container::getName)
        .isEqualTo("function");
    assertThat(container.getImage()).isEqualTo("klambda/runtime:test");
    assertThat(container.getCommand()).containsExactly("/opt/klambda/klambda-launcher");
    Map<String, Quantity> expected =
        Map.of(
            "memory",
            new Quantity("256Mi"),
            "cpu",
            new Quantity("143m"),
            "ephemeral-storage",
            new Quantity("512Mi"));
    assertThat(container.getResources().getRequests()).isEqualTo(expected);
    assertThat(container.getResources().getLimits()).isEqualTo(expected);
    assertThat(container.getVolumeMounts())
        .extracting(VolumeMount::getMountPath)
        .containsExactlyInAnyOrder("/var/task", "/tmp");
    // the agent: a native sidecar with resources of its own, outside the function's budget
    Container agent = pod.getSpec().getInitContainers().getFirst();
    assertThat(pod.getSpec().getInitContainers())
        .singleElement()
        .extracting(Container::getName)
        .isEqualTo("agent");
    assertThat(agent.getRestartPolicy()).isEqualTo("Always");
    assertThat(agent.getImage()).isEqualTo("klambda/runtime:test");
    assertThat(agent.getPorts()).extracting(p -> p.getContainerPort()).containsExactly(9000);
    assertThat(agent.getResources().getRequests())
        .isEqualTo(Map.of("memory", new Quantity("128Mi"), "cpu", new Quantity("50m")));
    assertThat(agent.getResources().getLimits())
        .isEqualTo(Map.of("memory", new Quantity("128Mi"), "cpu", new Quantity("1000m")));
    assertThat(agent.getVolumeMounts())
        .extracting(VolumeMount::getMountPath)
        .containsExactly("/var/task");
    Map<String, String> env =
        agent.getEnv().stream().collect(Collectors.toMap(EnvVar::getName, EnvVar::getValue));
    assertThat(env)
        .containsEntry("GREETING", "hi")
        .containsEntry("KLAMBDA_MEMORY_MB", "256")
        .containsEntry("KLAMBDA_RUNTIME", "provided")
        .containsEntry("KLAMBDA_TASK_ROOT", "/var/task")
        .containsEntry("KLAMBDA_TIMEOUT_MS", "3000")
        .containsEntry("KLAMBDA_LAUNCHER_ADDRESS", "127.0.0.1:9002")
        .containsEntry("KLAMBDA_FUNCTION_ARN", "arn:aws:lambda:us-east-1:default:function:echo");
    for (Container each : List.of(container, agent)) {
      assertThat(each.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
      assertThat(each.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
      assertThat(each.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
      // readiness comes from the agent itself: no probe to fail on every cold start
      assertThat(each.getReadinessProbe()).isNull();
    }
    assertThat(pod.getSpec().getShareProcessNamespace()).isTrue();
    assertThat(pod.getSpec().getRestartPolicy()).isEqualTo("Never");
    assertThat(pod.getSpec().getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(pod.getSpec().getSecurityContext().getSeccompProfile().getType())
        .isEqualTo("RuntimeDefault");
    assertThat(pod.getSpec().getAutomountServiceAccountToken()).isFalse();
    assertThat(pod.getSpec().getTerminationGracePeriodSeconds()).isEqualTo(8L);
    assertThat(pod.getMetadata().getAnnotations())
        .containsEntry("kubectl.kubernetes.io/default-container", "agent");
    assertThat(pod.getSpec().getVolumes())
        .extracting(v -> v.getName())
        .containsExactlyInAnyOrder("tmp", "code");
  }

  @Test
  void anIdleFunctionScalesToZeroPods() {
    apply("brief", Map.of("idleTimeoutSeconds", 1));
    awaitReady("brief");

    assertThat(invoke("brief", "{}").statusCode()).isEqualTo(200);
    assertThat(pods("brief")).hasSize(1);

    await().atMost(Duration.ofSeconds(15)).until(() -> pods("brief").isEmpty());
    await().atMost(Duration.ofSeconds(15)).until(() -> kubelet.runningAgents() == 0);
  }

  @Test
  void provisionedEnvironmentsAreKept() throws Exception {
    apply("warm", Map.of("idleTimeoutSeconds", 1, "provisionedConcurrency", 2));
    awaitReady("warm");

    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> operator.registry().router("warm").counts().idle() == 2);
    assertThat(invoke("warm", "{}").statusCode()).isEqualTo(200);
    Thread.sleep(2500); // past the idle timeout
    assertThat(pods("warm")).hasSize(2);
    assertThat(pods("warm"))
        .allSatisfy(
            p ->
                assertThat(p.getSpec().getInitContainers().getFirst().getEnv())
                    .contains(
                        new EnvVar(
                            "KLAMBDA_INITIALIZATION_TYPE", "provisioned-concurrency", null)));
  }

  @Test
  void anInvalidSpecIsReportedAndGetsNoEnvironment() {
    apply("tiny", Map.of("memoryMB", 100));

    await().atMost(Duration.ofSeconds(30)).until(() -> condition("tiny", "Invalid") != null);
    assertThat(condition("tiny", "Invalid").getStatus()).isEqualTo("True");
    assertThat(condition("tiny", "Invalid").getMessage())
        .isEqualTo("spec.memoryMB: must be between 128 and 3008 MB in steps of 64 MB (got 100)");
    assertThat(condition("tiny", "Ready").getStatus()).isEqualTo("False");
    assertThatThrownBy(() -> invoke("tiny", "{}")).isInstanceOf(ResourceNotFoundException.class);
    assertThat(pods("tiny")).isEmpty();
  }

  /**
   * No finalizer holds the Function (the operator has nothing to clean up); the gateway stops its
   * Pods.
   */
  @Test
  void deletingTheFunctionDeletesItsPods() {
    apply("doomed", Map.of());
    awaitReady("doomed");
    invoke("doomed", "{}");
    assertThat(pods("doomed")).hasSize(1);
    assertThat(function("doomed").getMetadata().getFinalizers()).isEmpty();

    client.resources(Function.class).inNamespace("default").withName("doomed").delete();

    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> pods("doomed").isEmpty() && function("doomed") == null);
    assertThatThrownBy(() -> invoke("doomed", "{}")).isInstanceOf(ResourceNotFoundException.class);
  }

  @Test
  void aRestartedOperatorAdoptsThePodsThatExist() throws Exception {
    apply("kept", Map.of());
    awaitReady("kept");
    invoke("kept", "{}");
    String pod = pods("kept").getFirst().getMetadata().getName();

    stopOperator();
    startOperator();
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                operator.registry().routers().stream()
                    .anyMatch(r -> r.function().name().equals("kept") && r.counts().idle() == 1));

    assertThat(invoke("kept", "{}").statusCode()).isEqualTo(200);
    assertThat(pods("kept")).extracting(p -> p.getMetadata().getName()).containsExactly(pod);
  }

  @Test
  void usageInStatusSurvivesAnOperatorRestart() throws Exception {
    apply("metered", Map.of("memoryMB", 512));
    awaitReady("metered");
    for (int i = 0; i < 3; i++) {
      assertThat(invoke("metered", "{}").functionError()).isNull();
    }
    stopOperator(); // rolls usage up at shutdown
    assertThat(function("metered").getStatus().getUsage().getInvocations()).isEqualTo(3);
    long billedBefore = function("metered").getStatus().getUsage().getBilledMilliseconds();

    startOperator();
    awaitReady("metered");
    for (int i = 0; i < 2; i++) {
      assertThat(invoke("metered", "{}").functionError()).isNull();
    }
    stopOperator();

    FunctionUsage usage = function("metered").getStatus().getUsage();
    assertThat(usage.getInvocations()).isEqualTo(5);
    assertThat(usage.getBilledMilliseconds()).isGreaterThan(billedBefore);
    assertThat(usage.getMegabyteMilliseconds()).isEqualTo(512 * usage.getBilledMilliseconds());
    assertThat(function("metered").getStatus().getConditions())
        .extracting(Condition::getType)
        .contains("Ready", "Invalid");
    startOperator(); // for the clean-up after each test
  }

  @Test
  void metricsCountReconcilesInTheOperatorAndInvocationsInTheGateway() throws Exception {
    apply("echo", Map.of());
    awaitReady("echo");
    invoke("echo", "{}");

    assertThat(scrape(operator.operatorMetricsUrl()))
        .anyMatch(s -> s.name().startsWith("operator_sdk_reconciliations"));
    List<PrometheusText.Sample> samples = scrape(operator.metricsUrl());
    assertThat(
            PrometheusText.value(
                samples,
                "klambda_invocations_total",
                Map.of("namespace", "default", "function", "echo", "result", "success")))
        .isEqualTo(1.0);
    assertThat(
            PrometheusText.value(samples, "klambda_cold_starts_total", Map.of("function", "echo")))
        .isEqualTo(1.0);
  }

  private static List<PrometheusText.Sample> scrape(String url) throws Exception {
    return PrometheusText.parse(
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString())
            .body());
  }

  @Test
  void aFailedPodIsReplaced() {
    apply("fragile", Map.of());
    awaitReady("fragile");
    invoke("fragile", "{}");
    Pod first = pods("fragile").getFirst();

    kubelet.evict("default", first.getMetadata().getName());

    await()
        .atMost(Duration.ofSeconds(15))
        .until(() -> operator.registry().router("fragile").counts().idle() == 0);
    assertThat(invoke("fragile", "{}").statusCode()).isEqualTo(200);
    assertThat(pods("fragile"))
        .extracting(p -> p.getMetadata().getName())
        .contains(first.getMetadata().getName())
        .hasSizeGreaterThanOrEqualTo(2);
  }

  @Test
  void continuousLoadAcrossAMemoryChangeAndAScaleDownLosesNoRequest() throws Exception {
    apply("steady", Map.of("idleTimeoutSeconds", 2));
    awaitReady("steady");
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicInteger succeeded = new AtomicInteger();
    List<String> failures = new CopyOnWriteArrayList<>();
    List<Thread> load = new java.util.ArrayList<>();
    for (int i = 0; i < 3; i++) {
      load.add(
          Thread.ofVirtual()
              .start(
                  () -> {
                    while (running.get()) {
                      try {
                        InvokeResponse response = invoke("steady", "{}");
                        if (response.functionError() == null) {
                          succeeded.incrementAndGet();
                        } else {
                          failures.add(response.payload().asUtf8String());
                        }
                      } catch (RuntimeException e) {
                        failures.add(e.toString());
                      }
                    }
                  }));
    }
    try {
      await().atMost(Duration.ofSeconds(30)).until(() -> succeeded.get() > 20);
      changeMemoryUnderLoad(succeeded);
    } finally {
      running.set(false);
      for (Thread thread : load) {
        thread.join();
      }
    }

    assertThat(failures).isEmpty();
    await().atMost(Duration.ofSeconds(20)).until(() -> pods("steady").isEmpty());
    assertThat(invoke("steady", "{}").statusCode())
        .as("and it starts again from zero")
        .isEqualTo(200);
  }

  private void changeMemoryUnderLoad(AtomicInteger succeeded) {
    client
        .resources(Function.class)
        .inNamespace("default")
        .withName("steady")
        .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"memoryMB\":256}}");
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                !pods("steady").isEmpty()
                    && pods("steady").stream()
                        .allMatch(
                            p ->
                                "2"
                                    .equals(
                                        p.getMetadata()
                                            .getLabels()
                                            .get("klambda.dev/generation"))));
    int afterChange = succeeded.get();
    await().atMost(Duration.ofSeconds(30)).until(() -> succeeded.get() > afterChange + 20);
  }
}
