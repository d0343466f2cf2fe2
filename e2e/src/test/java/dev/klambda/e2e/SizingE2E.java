package dev.klambda.e2e;

import static dev.klambda.e2e.KlambdaCluster.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.klambda.testing.Manifests;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;

/**
 * memoryMB buys memory and CPU as request = limit on the environment's pod (default policy: 1,792
 * MB per vCPU, so 256 MB is ceil(256 x 1000 / 1792) = 143 millicores), and the kernel enforces
 * them: the function reads its own cgroup.
 */
@KlambdaE2E
class SizingE2E {
  /** cgroup v2 (memory.max, cpu.max) or v1 (limit_in_bytes, cfs quota and period). */
  private static final String READS_ITS_CGROUP =
      """
        if [ -r /sys/fs/cgroup/memory.max ]; then
          memory="$(cat /sys/fs/cgroup/memory.max)"; cpu="$(cat /sys/fs/cgroup/cpu.max)"
        else
          memory="$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes)"
          cpu="$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) $(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)"
        fi
        respond "$1" "{\\"memoryMax\\":\\"$memory\\",\\"cpuMax\\":\\"$cpu\\",\\"memorySize\\":\\"$AWS_LAMBDA_FUNCTION_MEMORY_SIZE\\"}\"""";

  private final KlambdaCluster cluster;

  SizingE2E(KlambdaCluster cluster) {
    this.cluster = cluster;
  }

  @Test
  void memoryMBSetsMemoryAndCpuRequestsAndLimitsThatTheKernelEnforces() {
    cluster.apply(
        Manifests.provided(
            "sized",
            Manifests.bashRuntime("", READS_ITS_CGROUP),
            Map.of("memoryMB", 256, "idleTimeoutSeconds", 30)));
    cluster.awaitReady("Function", "sized");

    InvokeResponse first = cluster.invoke("sized", "{}");
    assertThat(first.functionError()).as(first.payload().asUtf8String()).isNull();
    List<Pod> environments = cluster.environments("sized");
    assertThat(environments).hasSize(1);
    // Init ran with the release's CPU boost; the container is then resized in place to its share
    Pod pod =
        cluster.awaitFunctionCpuLimit(environments.getFirst().getMetadata().getName(), "143m");
    InvokeResponse response = cluster.invoke("sized", "{}");

    assertThat(response.functionError()).as(response.payload().asUtf8String()).isNull();
    Container function =
        pod.getSpec().getContainers().stream()
            .filter(c -> c.getName().equals("function"))
            .findFirst()
            .orElseThrow();
    Map<String, Quantity> limits = function.getResources().getLimits();
    assertThat(limits.get("memory")).hasToString("256Mi");
    assertThat(limits.get("cpu")).hasToString("143m");
    assertThat(function.getResources().getRequests())
        .containsEntry("memory", limits.get("memory"))
        .containsEntry("cpu", limits.get("cpu"));

    JsonNode inside = json(response);
    assertThat(inside.path("memorySize").asText())
        .as("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        .isEqualTo("256");
    assertThat(inside.path("memoryMax").asText())
        .as("the cgroup's memory limit")
        .isEqualTo("268435456");
    assertThat(inside.path("cpuMax").asText())
        .as("the cgroup's CPU quota and period")
        .isEqualTo("14300 100000");
  }

  @AfterEach
  void deleteFunction() {
    cluster.delete("Function", "sized");
  }
}
