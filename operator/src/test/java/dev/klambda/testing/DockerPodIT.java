package dev.klambda.testing;

import static java.util.concurrent.TimeUnit.MINUTES;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.klambda.agent.Docker;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link DockerPod} under a real Docker engine with the layout it was made generic for: a native
 * sidecar held to its startup probe, then a container that joins its namespaces and shares an
 * emptyDir and a ConfigMap with it. Skipped, with the reason, where no Docker engine answers or the
 * local base image (.ci/build-base-images.sh) is missing.
 */
@Timeout(value = 2, unit = MINUTES)
class DockerPodIT {
  private static final String IMAGE = "klambda/base-debian:bookworm";

  @TempDir Path work;

  @Test
  void aSidecarStartsFirstAndTheContainerJoinsItsNamespacesAndVolumes() throws Exception {
    String unavailable = Docker.unavailableReason();
    assumeTrue(unavailable == null, () -> "no Docker: " + unavailable);
    assumeTrue(
        Docker.run(Duration.ofSeconds(20), null, "docker", "image", "inspect", IMAGE).exitCode()
            == 0,
        () -> IMAGE + " is missing (.ci/build-base-images.sh makes it)");
    Pod pod =
        new PodBuilder()
            .withNewMetadata()
            .withGenerateName("duo-")
            .endMetadata()
            .withNewSpec()
            .withShareProcessNamespace(true)
            .withTerminationGracePeriodSeconds(1L)
            .addNewInitContainer()
            .withName("agent")
            .withImage(IMAGE)
            .withRestartPolicy("Always")
            .withCommand("bash", "-c", "sleep 1; touch /shared/ready; exec sleep 601")
            .withNewStartupProbe()
            .withNewExec()
            .withCommand("test", "-f", "/shared/ready")
            .endExec()
            .withPeriodSeconds(1)
            .withFailureThreshold(30)
            .endStartupProbe()
            .addNewVolumeMount()
            .withName("shared")
            .withMountPath("/shared")
            .endVolumeMount()
            .endInitContainer()
            .addNewContainer()
            .withName("function")
            .withImage(IMAGE)
            .withCommand(
                "bash",
                "-c",
                "echo \"ready=$(ls /shared) sees=$(cat /proc/[0-9]*/cmdline | tr '\\0' ' ' "
                    + "| grep -o 'sleep 60[1]' | head -1) code=$(cat /code/hello) host=$(hostname)\"; exec sleep 600")
            .withNewSecurityContext()
            .withRunAsUser(10001L)
            .withReadOnlyRootFilesystem(true)
            .endSecurityContext()
            .addNewVolumeMount()
            .withName("shared")
            .withMountPath("/shared")
            .endVolumeMount()
            .addNewVolumeMount()
            .withName("code")
            .withMountPath("/code")
            .endVolumeMount()
            .endContainer()
            .addNewVolume()
            .withName("shared")
            .withNewEmptyDir()
            .endEmptyDir()
            .endVolume()
            .addNewVolume()
            .withName("code")
            .withNewConfigMap()
            .withName("code")
            .withDefaultMode(0555)
            .endConfigMap()
            .endVolume()
            .endSpec()
            .build();
    ConfigMap code =
        new ConfigMapBuilder()
            .withNewMetadata()
            .withName("code")
            .endMetadata()
            .addToData("hello", "world")
            .build();

    try (DockerNetwork network = DockerNetwork.create();
        DockerPod dockerPod = DockerPod.create(pod, Map.of("code", code), network, work)) {
      dockerPod.start();
      String name = dockerPod.name();
      await(dockerPod, "ready=");

      assertThat(dockerPod.states())
          .extracting(DockerPod.ContainerState::name)
          .containsExactly(name + "_agent", name + "_function");
      assertThat(dockerPod.logs())
          .contains("function | ready=ready sees=sleep 601 code=world host=" + name);
      Duration stopped = dockerPod.stop();
      assertThat(stopped).isLessThan(Duration.ofSeconds(10)); // 1 s of grace for each
      assertThat(
              Docker.run(
                      Duration.ofSeconds(20),
                      null,
                      "docker",
                      "ps",
                      "-aq",
                      "--filter",
                      "label=" + DockerPod.LABEL + "=" + name)
                  .stdout())
          .isBlank();
    }
  }

  private static void await(DockerPod pod, String text) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!pod.logs().contains(text) && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
  }
}
