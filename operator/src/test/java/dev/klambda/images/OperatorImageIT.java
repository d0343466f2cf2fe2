package dev.klambda.images;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.concurrent.TimeUnit.MINUTES;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.klambda.agent.Docker;
import dev.klambda.api.Function;
import dev.klambda.kubelet.KubeletFixture;
import dev.klambda.testing.LambdaClients;
import dev.klambda.testing.Manifests;
import dev.klambda.testing.MockCluster;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;

/**
 * The operator image (operator/Dockerfile, built here from this build's klambda.jar) as its
 * Deployment runs it: non-root, read-only root file system, no capabilities. Its cluster is the
 * fabric8 mock API server with the kubelet fixture starting each Pod's agent; the container shares
 * the host's network so that it reaches both on the loopback, and nothing else.
 * Skipped, with the reason, where no Docker engine answers.
 */
@Timeout(value = 3, unit = MINUTES)
class OperatorImageIT {
  static final String IMAGE = "klambda/operator:0.1.0";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern GATEWAY = Pattern.compile("gateway on (http://\\S+)");
  private static final String ECHO = Manifests.bashRuntime("", """
        respond "$1" "{\\"echo\\":$2}"
      """);

  /** Why the tests are skipped, or null. */
  private static String unavailable;

  @TempDir Path dir;
  private String testName;
  private MockCluster cluster;
  private KubernetesClient client;
  private KubeletFixture kubelet;
  private String container;

  @BeforeAll
  static void buildImage() {
    unavailable = Docker.unavailableReason();
    if (unavailable != null) {
      System.out.println("OperatorImageIT: Docker container tests skipped: " + unavailable);
      return;
    }
    System.out.println("OperatorImageIT: built " + IMAGE + " from " + Docker.build(IMAGE, "dev.klambda.image=operator"));
  }

  @BeforeEach
  void startOperatorContainer(TestInfo info) {
    assumeTrue(unavailable == null, () -> "Docker container tests skipped: " + unavailable);
    testName = info.getTestMethod().orElseThrow().getName();
    cluster = new MockCluster();
    client = cluster.client();
    kubelet = new KubeletFixture(client, dir.resolve("kubelet"));
    container = "klambda-it-operator-" + UUID.randomUUID().toString().substring(0, 8);
    Docker.docker("run", "-d", "--name", container,
        "--label", "dev.klambda.test=OperatorImageIT",
        "--network", "host",
        "--read-only", "--user", "10001:10001", "--cap-drop", "ALL",
        "--security-opt", "no-new-privileges",
        // the mock API server instead of the in-cluster service account
        "-e", "KUBERNETES_MASTER=" + client.getMasterUrl(),
        "-e", "KUBERNETES_AUTH_TRYKUBECONFIG=false",
        "-e", "KUBERNETES_AUTH_TRYSERVICEACCOUNT=false",
        IMAGE, "--bind", "127.0.0.1", "--port", "0", "--metrics-port", "0",
        "--gateway-url", "http://klambda-gateway.klambda.svc:8080");
  }

  /** Keeps what the container printed (target/container-logs/TEST.log), then removes it. */
  @AfterEach
  void stopAll() throws IOException {
    if (container != null) {
      Path log = Path.of("target/container-logs", testName + ".log");
      Files.createDirectories(log.getParent());
      Files.writeString(log, logs());
      Docker.run(Duration.ofSeconds(30), null, "docker", "rm", "-f", container);
    }
    if (kubelet != null) {
      kubelet.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void theOperatorImageTakesAFunctionFromApplyToInvocation() {
    client.resource(JSON.convertValue(Manifests.provided("echo", ECHO, Map.of()), Function.class))
        .inNamespace("default").create();

    await().atMost(Duration.ofSeconds(90)).until(() -> ready("echo"));
    try (LambdaClient lambda = LambdaClients.of(gatewayUrl())) {
      InvokeResponse answer = lambda.invoke(r -> r.functionName("echo")
          .payload(SdkBytes.fromUtf8String("{\"from\":\"the operator image\"}")));

      assertThat(answer.functionError()).isNull();
      assertThat(answer.payload().asString(UTF_8)).isEqualTo("{\"echo\":{\"from\":\"the operator image\"}}");
    }
    List<Pod> pods = client.pods().inNamespace("default").withLabel("klambda.dev/function", "echo")
        .list().getItems();
    assertThat(pods).singleElement().satisfies(pod -> assertThat(pod.getSpec().getContainers().get(0)
        .getImage()).as("the runtime image of this version").isEqualTo("klambda/runtime:0.1.0"));
  }

  private boolean ready(String name) {
    Function function = client.resources(Function.class).inNamespace("default").withName(name).get();
    return function != null && function.getStatus() != null && function.getStatus().getConditions()
        .stream().anyMatch(c -> c.getType().equals("Ready") && c.getStatus().equals("True"));
  }

  /** The gateway's address as the operator prints it (port 0: the system chose it). */
  private String gatewayUrl() {
    return await().atMost(Duration.ofSeconds(30)).until(() -> {
      Matcher url = GATEWAY.matcher(logs());
      return url.find() ? url.group(1) : null;
    }, java.util.Objects::nonNull);
  }

  private String logs() {
    Docker.Result logs = Docker.run(Duration.ofSeconds(30), null, "docker", "logs", container);
    return logs.stdout() + logs.stderr();
  }
}
