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
import java.util.ArrayList;
import java.util.LinkedHashMap;
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
import software.amazon.awssdk.services.lambda.model.ResourceNotFoundException;

/**
 * The operator image (operator/Dockerfile, built here from this build's klambda.jar) as the chart's
 * two Deployments run it, a gateway and an operator container: non-root, read-only root file
 * system, no capabilities. Their cluster is the fabric8 mock API server with the kubelet fixture
 * starting each Pod's agent; the containers share the host's network so that they reach both on the
 * loopback, and nothing else. Skipped, with the reason, where no Docker engine answers.
 */
@Timeout(value = 3, unit = MINUTES)
class OperatorImageIT {
  static final String IMAGE = "klambda/operator:0.1.0";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern GATEWAY = Pattern.compile("serving on (http://\\S+)");
  private static final String ECHO =
      Manifests.bashRuntime(
          "",
          """
        respond "$1" "{\\"echo\\":$2}"
      """);

  /** Why the tests are skipped, or null. */
  private static String unavailable;

  @TempDir Path dir;
  private String testName;
  private MockCluster cluster;
  private KubernetesClient client;
  private KubeletFixture kubelet;

  /** The containers started, by role. */
  private final Map<String, String> containers = new LinkedHashMap<>();

  @BeforeAll
  static void buildImage() {
    unavailable = Docker.unavailableReason();
    if (unavailable != null) {
      System.out.println("OperatorImageIT: Docker container tests skipped: " + unavailable);
      return;
    }
    System.out.println(
        "OperatorImageIT: built "
            + IMAGE
            + " from "
            + Docker.build(IMAGE, "dev.klambda.image=operator"));
  }

  @BeforeEach
  void startContainers(TestInfo info) {
    assumeTrue(unavailable == null, () -> "Docker container tests skipped: " + unavailable);
    testName = info.getTestMethod().orElseThrow().getName();
    cluster = new MockCluster();
    client = cluster.client();
    kubelet = new KubeletFixture(client, dir.resolve("kubelet"));
    start(
        "gateway",
        "gateway",
        "--auth",
        "none",
        "--bind",
        "127.0.0.1",
        "--port",
        "0",
        "--metrics-port",
        "0",
        "--lease-namespace",
        "default");
    start(
        "operator",
        "operator",
        "--bind",
        "127.0.0.1",
        "--metrics-port",
        "0",
        "--lease-namespace",
        "default",
        "--gateway-url",
        gatewayUrl());
  }

  /** A container of the image as the chart's Deployments run it, in mode {@code args[0]}. */
  private void start(String role, String... args) {
    String name = "klambda-it-" + role + "-" + UUID.randomUUID().toString().substring(0, 8);
    List<String> command =
        new ArrayList<>(
            List.of(
                "run",
                "-d",
                "--name",
                name,
                "--label",
                "dev.klambda.test=OperatorImageIT",
                "--network",
                "host",
                "--read-only",
                "--user",
                "10001:10001",
                "--cap-drop",
                "ALL",
                "--security-opt",
                "no-new-privileges",
                // the mock API server instead of the in-cluster service account
                "-e",
                "KUBERNETES_MASTER=" + client.getMasterUrl(),
                "-e",
                "KUBERNETES_AUTH_TRYKUBECONFIG=false",
                "-e",
                "KUBERNETES_AUTH_TRYSERVICEACCOUNT=false",
                IMAGE));
    command.addAll(List.of(args));
    Docker.docker(command.toArray(String[]::new));
    containers.put(role, name);
  }

  /** Keeps what each container printed (target/container-logs/TEST-ROLE.log), then removes it. */
  @AfterEach
  void stopAll() throws IOException {
    for (Map.Entry<String, String> container : containers.entrySet()) {
      Path log = Path.of("target/container-logs", testName + "-" + container.getKey() + ".log");
      Files.createDirectories(log.getParent());
      Files.writeString(log, logs(container.getValue()));
      Docker.run(Duration.ofSeconds(30), null, "docker", "rm", "-f", container.getValue());
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
    client
        .resource(JSON.convertValue(Manifests.provided("echo", ECHO, Map.of()), Function.class))
        .inNamespace("default")
        .create();

    try (LambdaClient lambda = LambdaClients.of(gatewayUrl())) {
      // the gateway serves the Function once its informer has it: until then 404
      InvokeResponse answer =
          await()
              .atMost(Duration.ofSeconds(90))
              .ignoreException(ResourceNotFoundException.class)
              .until(
                  () ->
                      lambda.invoke(
                          r ->
                              r.functionName("echo")
                                  .payload(
                                      SdkBytes.fromUtf8String(
                                          "{\"from\":\"the operator image\"}"))),
                  java.util.Objects::nonNull);

      assertThat(answer.functionError()).isNull();
      assertThat(answer.payload().asString(UTF_8))
          .isEqualTo("{\"echo\":{\"from\":\"the operator image\"}}");
    }
    List<Pod> pods =
        client
            .pods()
            .inNamespace("default")
            .withLabel("klambda.dev/function", "echo")
            .list()
            .getItems();
    assertThat(pods)
        .singleElement()
        .satisfies(
            pod ->
                assertThat(pod.getSpec().getContainers().get(0).getImage())
                    .as("the runtime image of this version")
                    .isEqualTo("klambda/runtime:0.1.0"));
  }

  /** The gateway's address as it prints it (port 0: the system chose it). */
  private String gatewayUrl() {
    return await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> {
              Matcher url = GATEWAY.matcher(logs(containers.get("gateway")));
              return url.find() ? url.group(1) : null;
            },
            java.util.Objects::nonNull);
  }

  private static String logs(String container) {
    Docker.Result logs = Docker.run(Duration.ofSeconds(30), null, "docker", "logs", container);
    return logs.stdout() + logs.stderr();
  }
}
