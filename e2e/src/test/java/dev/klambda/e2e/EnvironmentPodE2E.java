package dev.klambda.e2e;

import static dev.klambda.e2e.KlambdaCluster.json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.klambda.testing.Manifests;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;

/**
 * An environment Pod on a real node: the agent is a native sidecar with resources of its own, the
 * function's container has exactly the function's budget; a cold 128 MB function answers a burst
 * within its limits in full (waiting for a cold start is not throttling); a function that allocates
 * past its memory is killed and reported while the agent keeps answering; Init runs with the boost
 * klambda is installed with, then the function container is resized in place.
 */
@KlambdaE2E
class EnvironmentPodE2E {
  /** Answers with the cgroup memory limit it runs under; {"allocateMB":N} fills N MB at once. */
  private static final String HANDLER =
      """
        if [[ $2 =~ \\"allocateMB\\":\\ *([0-9]+) ]]; then
          exec dd if=/dev/zero of=/dev/null bs="${BASH_REMATCH[1]}M" count=1
        fi
        limit=$(cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes)
        respond "$1" "{\\"memoryLimit\\":\\"$limit\\"}\"""";

  private final KlambdaCluster cluster;

  EnvironmentPodE2E(KlambdaCluster cluster) {
    this.cluster = cluster;
  }

  @Test
  void theAgentIsASidecarAndTheFunctionGetsExactlyItsBudget() {
    cluster.apply(
        Manifests.provided(
            "budget",
            Manifests.bashRuntime("", HANDLER),
            Map.of("memoryMB", 128, "idleTimeoutSeconds", 30)));
    cluster.awaitReady("Function", "budget");

    InvokeResponse response = cluster.invoke("budget", "{}");

    assertThat(response.functionError()).as(response.payload().asUtf8String()).isNull();
    assertThat(json(response).path("memoryLimit").asText())
        .as("the runtime's cgroup")
        .isEqualTo("134217728");
    Pod pod = cluster.environments("budget").getFirst();
    Container agent = pod.getSpec().getInitContainers().getFirst();
    assertThat(agent.getName()).isEqualTo("agent");
    assertThat(agent.getRestartPolicy()).isEqualTo("Always");
    assertThat(agent.getResources().getRequests()).containsEntry("cpu", new Quantity("50m"));
    assertThat(pod.getStatus().getInitContainerStatuses())
        .singleElement()
        .satisfies(s -> assertThat(s.getStarted()).isTrue());
    assertThat(pod.getStatus().getQosClass()).isEqualTo("Burstable");
  }

  @Test
  void initRunsBoostedThenTheFunctionIsResizedInPlaceToItsShare() {
    cluster.apply(
        Manifests.provided(
            "boosted",
            Manifests.bashRuntime("", HANDLER),
            Map.of("memoryMB", 128, "idleTimeoutSeconds", 30)));
    cluster.awaitReady("Function", "boosted");

    InvokeResponse response = cluster.invoke("boosted", "{}");

    assertThat(response.functionError()).as(response.payload().asUtf8String()).isNull();
    String created = cluster.environments("boosted").getFirst().getMetadata().getName();
    cluster.awaitFunctionCpuLimit(created, "72m");
    Pod pod = cluster.environments("boosted").getFirst();
    assertThat(pod.getMetadata().getName())
        .as("resized in place, not restarted")
        .isEqualTo(created);
    assertThat(pod.getStatus().getContainerStatuses())
        .filteredOn(s -> s.getName().equals("function"))
        .singleElement()
        .satisfies(s -> assertThat(s.getRestartCount()).isZero());
  }

  @Test
  void aBurstAtAColdFunctionWithinItsLimitIsAnsweredInFull() throws Exception {
    int burst = 10;
    cluster.apply(
        Manifests.provided(
            "burst",
            Manifests.bashRuntime("", HANDLER),
            Map.of("memoryMB", 128, "reservedConcurrency", burst, "idleTimeoutSeconds", 30)));
    cluster.awaitReady("Function", "burst");

    List<Future<InvokeResponse>> answers = new ArrayList<>();
    try (ExecutorService clients = Executors.newFixedThreadPool(burst)) {
      for (int i = 0; i < burst; i++) {
        answers.add(clients.submit(() -> cluster.invoke("burst", "{}")));
      }
    }

    for (Future<InvokeResponse> answer : answers) {
      assertThat(answer.get().statusCode()).as("no 429 while environments start").isEqualTo(200);
      assertThat(answer.get().functionError()).isNull();
    }
  }

  @Test
  void aFunctionPastItsMemoryIsKilledAndReportedAndTheNextInvocationIsServed() {
    cluster.apply(
        Manifests.provided(
            "hog",
            Manifests.bashRuntime("", HANDLER),
            Map.of("memoryMB", 128, "idleTimeoutSeconds", 30)));
    cluster.awaitReady("Function", "hog");

    InvokeResponse killed = cluster.invoke("hog", "{\"allocateMB\":256}");
    InvokeResponse after = cluster.invoke("hog", "{}");

    assertThat(killed.functionError()).isEqualTo("Unhandled");
    assertThat(killed.payload().asUtf8String()).contains("Runtime.ExitError", "signal: killed");
    assertThat(after.functionError()).as(after.payload().asUtf8String()).isNull();
  }

  @AfterEach
  void deleteFunctions() {
    for (String name : List.of("budget", "boosted", "burst", "hog")) {
      cluster.delete("Function", name);
    }
  }
}
