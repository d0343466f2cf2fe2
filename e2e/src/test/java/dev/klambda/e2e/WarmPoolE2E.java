package dev.klambda.e2e;

import static dev.klambda.e2e.KlambdaCluster.json;
import static dev.klambda.testing.PrometheusText.value;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.klambda.testing.Manifests;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;

/**
 * The warm pool klambda is installed with (one provided member at 192 MB): a cold start of a
 * function that fits claims the pooled Pod, which becomes the function's for good, and the pool
 * starts another; members are counted as pooled environments.
 */
@KlambdaE2E
class WarmPoolE2E {
  /** Answers with the function's name and the Pod's (a Pod's hostname is its name). */
  private static final String HANDLER =
      """
        respond "$1" "{\\"function\\":\\"$AWS_LAMBDA_FUNCTION_NAME\\",\\"pod\\":\\"$(</proc/sys/kernel/hostname)\\"}\"""";

  private final KlambdaCluster cluster;

  WarmPoolE2E(KlambdaCluster cluster) {
    this.cluster = cluster;
  }

  @Test
  void aColdStartThatFitsClaimsThePooledPodAndThePoolRefills() {
    Pod member = awaitMember();
    assertThat(
            value(
                cluster.scrapeMetrics(),
                "klambda_environments",
                Map.of("namespace", cluster.namespace(), "function", "", "state", "pooled")))
        .isEqualTo(1.0);
    cluster.apply(
        Manifests.provided(
            "pooled",
            Manifests.bashRuntime("", HANDLER),
            Map.of("memoryMB", KlambdaCluster.WARM_POOL_MEMORY_MB, "idleTimeoutSeconds", 30)));
    cluster.awaitReady("Function", "pooled");

    InvokeResponse response = cluster.invoke("pooled", "{}");

    assertThat(response.functionError()).as(response.payload().asUtf8String()).isNull();
    assertThat(json(response).path("function").asText()).isEqualTo("pooled");
    assertThat(json(response).path("pod").asText()).isEqualTo(member.getMetadata().getName());
    Pod claimed = cluster.environments("pooled").getFirst();
    assertThat(claimed.getMetadata().getName()).isEqualTo(member.getMetadata().getName());
    assertThat(claimed.getMetadata().getLabels()).doesNotContainKey(KlambdaCluster.POOL_LABEL);
    assertThat(claimed.getMetadata().getOwnerReferences())
        .singleElement()
        .satisfies(owner -> assertThat(owner.getName()).isEqualTo("pooled"));
    Pod next = awaitMember();
    assertThat(next.getMetadata().getName()).isNotEqualTo(member.getMetadata().getName());
  }

  private Pod awaitMember() {
    await("a ready warm-pool member")
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () ->
                cluster.poolMembers().size() == 1
                    && value(
                            cluster.scrapeMetrics(),
                            "klambda_environments",
                            Map.of(
                                "namespace",
                                cluster.namespace(),
                                "function",
                                "",
                                "state",
                                "pooled"))
                        == 1.0);
    return cluster.poolMembers().getFirst();
  }

  @AfterEach
  void deleteFunctions() {
    cluster.delete("Function", "pooled");
  }
}
