package dev.klambda.e2e;

import static dev.klambda.e2e.KlambdaCluster.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;

/**
 * The echo example, as a copy with a short idleTimeoutSeconds: no pod until the first invocation,
 * one labelled {@code klambda.dev/function=echo} serving it, none again once it has been idle.
 */
@KlambdaE2E
class ScaleToZeroE2E {
  private static final int IDLE_TIMEOUT_SECONDS = 10;
  private final KlambdaCluster cluster;

  ScaleToZeroE2E(KlambdaCluster cluster) {
    this.cluster = cluster;
  }

  @Test
  void startsOnTheFirstInvocationAndScalesBackToZeroWhenIdle() {
    cluster.delete("Function", "echo"); // a clean start, whatever ran before
    GenericKubernetesResource echo = cluster.example("echo-provided.yaml").getFirst();
    assertThat(echo.getKind()).isEqualTo("Function");
    assertThat(echo.getMetadata().getName()).isEqualTo("echo");
    @SuppressWarnings("unchecked")
    Map<String, Object> spec = (Map<String, Object>) echo.getAdditionalProperties().get("spec");
    spec.put("idleTimeoutSeconds", IDLE_TIMEOUT_SECONDS);
    cluster.apply(echo);
    cluster.awaitReady("Function", "echo");

    await("no environment before the first invocation")
        .during(Duration.ofSeconds(5))
        .atMost(Duration.ofSeconds(10))
        .until(() -> cluster.environments("echo").isEmpty());

    InvokeResponse response = cluster.invoke("echo", "{\"n\":1}");
    assertThat(response.functionError()).as(response.payload().asUtf8String()).isNull();
    assertThat(json(response).path("event").path("n").asInt()).isEqualTo(1);
    List<Pod> environments = cluster.environments("echo");
    assertThat(environments)
        .singleElement()
        .satisfies(
            pod -> {
              assertThat(pod.getMetadata().getLabels())
                  .containsEntry("klambda.dev/function", "echo")
                  .containsEntry("app.kubernetes.io/managed-by", "klambda");
              assertThat(pod.getStatus().getPhase()).isEqualTo("Running");
            });
    String podName = environments.getFirst().getMetadata().getName();
    // warm: the next invocation reuses it
    assertThat(cluster.invoke("echo", "{\"n\":2}").functionError()).isNull();
    Instant answered = Instant.now();
    assertThat(cluster.environments("echo"))
        .extracting(pod -> pod.getMetadata().getName())
        .containsExactly(podName);

    await("back to zero pods after idleTimeoutSeconds")
        .atMost(Duration.ofSeconds(IDLE_TIMEOUT_SECONDS + 90))
        .pollInterval(Duration.ofSeconds(1))
        .until(() -> cluster.environments("echo").isEmpty());
    assertThat(Duration.between(answered, Instant.now()))
        .as("idle time before the pod went")
        .isGreaterThanOrEqualTo(Duration.ofSeconds(IDLE_TIMEOUT_SECONDS - 1));

    // and the next invocation is a cold start again
    assertThat(cluster.invoke("echo", "{\"n\":3}").functionError()).isNull();
    assertThat(cluster.environments("echo"))
        .singleElement()
        .satisfies(pod -> assertThat(pod.getMetadata().getName()).isNotEqualTo(podName));
  }

  @AfterEach
  void deleteEcho() {
    cluster.delete("Function", "echo");
  }
}
