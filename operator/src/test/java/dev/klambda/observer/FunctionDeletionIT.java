package dev.klambda.observer;

import static dev.klambda.testing.Manifests.bashRuntime;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.klambda.GatewayMode;
import dev.klambda.api.Function;
import dev.klambda.environments.CodeConfigMap;
import dev.klambda.function.FunctionValidator;
import dev.klambda.kubelet.KubeletFixture;
import dev.klambda.routing.FunctionRouter;
import dev.klambda.testing.LambdaClients;
import dev.klambda.testing.Manifests;
import dev.klambda.testing.MockCluster;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;

/**
 * A deleted Function's Pods are the gateway's to remove: a gateway replica alone, no operator, on
 * the mock API server (which has no garbage collector), with the kubelet fixture playing the Pods.
 * The replica that routes the function stops its idle environments at once and a busy one when its
 * invocation has ended. (On a cluster the garbage collector removes them too, through their owner
 * reference to the Function, e.g. when no gateway runs.)
 */
class FunctionDeletionIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Answers at once, or, for a payload with "hold", once the file {@code $RELEASE} exists. */
  private static final String HOLDING_ECHO =
      bashRuntime(
          "",
          """
        case "$2" in *hold*) while [ ! -e "$RELEASE" ]; do sleep 0.05; done;; esac
        respond "$1" "$2"
      """);

  @TempDir Path dir;
  private MockCluster cluster;
  private KubernetesClient client;
  private KubeletFixture kubelet;
  private GatewayMode gateway;
  private LambdaClient lambda;

  @BeforeEach
  void start() throws Exception {
    cluster = new MockCluster();
    client = cluster.client();
    kubelet = new KubeletFixture(client, dir.resolve("kubelet"));
    gateway = cluster.startGateway("gateway-0");
    lambda = LambdaClients.of(gateway.gateway().baseUrl());
  }

  @AfterEach
  void stop() {
    lambda.close();
    gateway.close();
    kubelet.close();
    cluster.close();
  }

  @Test
  void theGatewayStopsTheEnvironmentsOfADeletedFunction() throws Exception {
    Path release = dir.resolve("release");
    Function function =
        JSON.convertValue(
            Manifests.provided(
                "doomed",
                HOLDING_ECHO,
                Map.of(
                    "timeoutSeconds",
                    300,
                    "environment",
                    Map.of("variables", Map.of("RELEASE", release.toString())))),
            Function.class);
    // the inline code's ConfigMap, which the operator's dependent would write
    client
        .resource(
            CodeConfigMap.build(
                "default",
                "doomed",
                FunctionValidator.inlineFiles(function.getSpec().getCode().getInline())))
        .create();
    client.resource(function).inNamespace("default").create();
    await().atMost(Duration.ofSeconds(30)).until(() -> router() != null);

    CompletableFuture<InvokeResponse> held = inBackground(() -> invoke("{\"hold\":1}"));
    await().atMost(Duration.ofSeconds(60)).until(() -> router().counts().busy() == 1);
    assertThat(invoke("{\"quick\":1}").statusCode()).isEqualTo(200);
    assertThat(pods()).as("one busy, one idle").hasSize(2);

    client.resources(Function.class).inNamespace("default").withName("doomed").delete();

    await().atMost(Duration.ofSeconds(30)).until(() -> pods().size() == 1);
    assertThat(held).as("the busy environment's invocation runs on").isNotDone();
    Files.createFile(release);
    assertThat(held.get().statusCode()).isEqualTo(200);
    assertThat(held.get().functionError()).isNull();
    await().atMost(Duration.ofSeconds(30)).until(() -> pods().isEmpty());
  }

  /**
   * On a thread of its own: not the common pool, whose one worker (on two cores) the fabric8
   * client's own continuations need while this blocks.
   */
  private static <T> CompletableFuture<T> inBackground(Supplier<T> call) {
    CompletableFuture<T> result = new CompletableFuture<>();
    Thread.ofPlatform()
        .daemon()
        .name("held-invocation")
        .start(
            () -> {
              try {
                result.complete(call.get());
              } catch (RuntimeException e) {
                result.completeExceptionally(e);
              }
            });
    return result;
  }

  private FunctionRouter router() {
    return gateway.registry().routers().stream()
        .filter(r -> r.function().name().equals("doomed"))
        .findFirst()
        .orElse(null);
  }

  private List<Pod> pods() {
    return client
        .pods()
        .inNamespace("default")
        .withLabel("klambda.dev/function", "doomed")
        .list()
        .getItems();
  }

  private InvokeResponse invoke(String payload) {
    return lambda.invoke(r -> r.functionName("doomed").payload(SdkBytes.fromUtf8String(payload)));
  }
}
