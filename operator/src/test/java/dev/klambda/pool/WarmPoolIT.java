package dev.klambda.pool;

import static dev.klambda.testing.Manifests.bashRuntime;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.klambda.api.Function;
import dev.klambda.kubelet.KubeletFixture;
import dev.klambda.testing.LambdaClients;
import dev.klambda.testing.Manifests;
import dev.klambda.testing.MockCluster;
import dev.klambda.testing.PrometheusText;
import dev.klambda.testing.RunningKlambda;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;

/**
 * Warm pools on a cluster: the mock API server, the kubelet fixture running the real agent and
 * launcher per Pod, the operator with {@code --warm-pool default/provided/128=2}, the AWS SDK.
 */
class WarmPoolIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String POOL = "provided-128";
  private static final String ECHO =
      bashRuntime(
          "",
          """
        respond "$1" "{\\"event\\":$2,\\"function\\":\\"$AWS_LAMBDA_FUNCTION_NAME\\",\\"greeting\\":\\"${GREETING:-}\\"}"
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
    operator = cluster.startOperator("--warm-pool", "provided/128=2");
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

  @Test
  void aColdStartClaimsAPooledPodThatBecomesTheFunctionsForGood() throws Exception {
    List<String> pooled = awaitPooled(2);
    Function echo =
        apply("echo", Map.of("environment", Map.of("variables", Map.of("GREETING", "hi"))));

    InvokeResponse response = invoke("echo");

    assertThat(response.payload().asUtf8String())
        .isEqualTo("{\"event\":{},\"function\":\"echo\",\"greeting\":\"hi\"}");
    Pod pod = functionPods("echo").getFirst();
    assertThat(pooled).contains(pod.getMetadata().getName());
    assertThat(pod.getMetadata().getLabels())
        .containsEntry("klambda.dev/function", "echo")
        .containsEntry("klambda.dev/generation", "1")
        .doesNotContainKey("klambda.dev/pool");
    assertThat(pod.getMetadata().getOwnerReferences())
        .singleElement()
        .satisfies(owner -> assertThat(owner.getUid()).isEqualTo(echo.getMetadata().getUid()));
    List<String> refilled = awaitPooled(2);
    assertThat(refilled).doesNotContain(pod.getMetadata().getName());

    apply("other", Map.of());
    assertThat(invoke("other").payload().asUtf8String()).contains("\"function\":\"other\"");
    assertThat(functionPods("other"))
        .singleElement()
        .satisfies(
            p -> assertThat(p.getMetadata().getName()).isNotEqualTo(pod.getMetadata().getName()));
    assertThat(invoke("echo").payload().asUtf8String())
        .as("still echo's, not a second tenant's")
        .contains("\"function\":\"echo\"");
    assertThat(functionPods("echo"))
        .extracting(p -> p.getMetadata().getName())
        .containsExactly(pod.getMetadata().getName());
  }

  @Test
  void codeFromAConfigMapIsReadAndHandedToTheMember() throws Exception {
    awaitPooled(2);
    client
        .configMaps()
        .inNamespace("default")
        .resource(
            new ConfigMapBuilder()
                .withNewMetadata()
                .withName("echo-files")
                .endMetadata()
                .withData(Map.of("bootstrap", ECHO))
                .build())
        .create();
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("runtime", "provided");
    spec.put("code", Map.of("configMap", Map.of("name", "echo-files")));
    client
        .resource(JSON.convertValue(Manifests.function("mapped", spec), Function.class))
        .inNamespace("default")
        .create();
    awaitReady("mapped");

    assertThat(invoke("mapped").payload().asUtf8String()).contains("\"function\":\"mapped\"");
    assertThat(functionPods("mapped").getFirst().getMetadata().getName())
        .startsWith("klambda-pool-provided-128-");
  }

  @Test
  void aClaimedMemberScalesToZeroLikeAnyEnvironmentAndThePoolStaysFull() throws Exception {
    awaitPooled(2);
    apply("brief", Map.of("idleTimeoutSeconds", 1));

    assertThat(invoke("brief").statusCode()).isEqualTo(200);
    String claimed = functionPods("brief").getFirst().getMetadata().getName();

    await().atMost(Duration.ofSeconds(20)).until(() -> functionPods("brief").isEmpty());
    assertThat(awaitPooled(2)).doesNotContain(claimed);
    await().atMost(Duration.ofSeconds(15)).until(() -> kubelet.runningAgents() == 2);
  }

  @Test
  void pooledPodsAreCountedAndARestartedOperatorAdoptsThem() throws Exception {
    List<String> pooled = awaitPooled(2);
    await().atMost(Duration.ofSeconds(10)).until(() -> environments("pooled") == 2.0);
    assertThat(environments("starting")).isEqualTo(0.0);

    stopOperator();
    startOperator();

    await().atMost(Duration.ofSeconds(20)).until(() -> environments("pooled") == 2.0);
    assertThat(pooledPods()).containsExactlyInAnyOrderElementsOf(pooled);
  }

  private Function apply(String name, Map<String, Object> spec) {
    Function created =
        client
            .resource(JSON.convertValue(Manifests.provided(name, ECHO, spec), Function.class))
            .inNamespace("default")
            .create();
    awaitReady(name);
    return created;
  }

  private void awaitReady(String name) {
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> {
              Function function =
                  client.resources(Function.class).inNamespace("default").withName(name).get();
              return function != null
                  && function.getStatus() != null
                  && function.getStatus().getConditions().stream()
                      .anyMatch(c -> c.getType().equals("Ready") && c.getStatus().equals("True"));
            });
  }

  private InvokeResponse invoke(String name) {
    return lambda.invoke(r -> r.functionName(name).payload(SdkBytes.fromUtf8String("{}")));
  }

  /** The names of the pool's Pods once there are {@code n} and the pool counts them ready. */
  private List<String> awaitPooled(int n) {
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> pooledPods().size() == n && environments("pooled") == n);
    return pooledPods();
  }

  private List<String> pooledPods() {
    return client
        .pods()
        .inNamespace("default")
        .withLabel("klambda.dev/pool", POOL)
        .list()
        .getItems()
        .stream()
        .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
        .map(p -> p.getMetadata().getName())
        .toList();
  }

  private List<Pod> functionPods(String function) {
    return client
        .pods()
        .inNamespace("default")
        .withLabel("klambda.dev/function", function)
        .list()
        .getItems();
  }

  /** {@code klambda_environments{namespace="default",function="",state=STATE}}. */
  private double environments(String state) throws Exception {
    String text =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(operator.metricsUrl())).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8))
            .body();
    return PrometheusText.value(
        PrometheusText.parse(text),
        "klambda_environments",
        Map.of("namespace", "default", "function", "", "state", state));
  }
}
