package dev.klambda.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.klambda.environments.EnvironmentPodTemplate;
import dev.klambda.function.CodeSource;
import dev.klambda.function.FunctionConfig;
import dev.klambda.function.SizingPolicy;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.VolumeMount;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** DockerPod's translation of a Pod into {@code docker run} arguments, without docker. */
class ContainerRunArgsTest {
  private static final java.util.function.Function<VolumeMount, List<String>> MOUNTS =
      m -> List.of("--mount", m.getName() + ":" + m.getMountPath());

  @Test
  void theEnvironmentPodRunsAsItsSecurityContextAndResourcesSay() {
    FunctionConfig function =
        new FunctionConfig(
            "default",
            "echo",
            "uid-1",
            1,
            "provided",
            "",
            new CodeSource.Inline(
                Map.of("bootstrap", "#!/bin/bash\n".getBytes(StandardCharsets.UTF_8))),
            128,
            Duration.ofSeconds(3),
            Duration.ofSeconds(10),
            Map.of("GREETING", "hi"),
            null,
            0,
            Duration.ofMinutes(5),
            null);
    Pod pod =
        new EnvironmentPodTemplate("klambda/runtime:test", SizingPolicy.DEFAULT, "us-east-1")
            .build(function, false);
    PodSandbox sandbox = PodSandbox.of(pod, "172.28.0.2", "net");
    List<Container> layout = PodLayout.of(pod);
    assertThat(layout).extracting(Container::getName).containsExactly("agent", "function");

    List<String> agentArgs = ContainerRunArgs.of(sandbox, layout.get(0), List.of("k=v"), MOUNTS);
    List<String> functionArgs = ContainerRunArgs.of(sandbox, layout.get(1), List.of("k=v"), MOUNTS);

    assertThat(sandbox.name()).startsWith("echo-").hasSize("echo-".length() + 5);
    // the agent's CPU request is below its limit: klambda's overhead is not the function's budget
    assertThat(PodResources.qosClass(pod)).isEqualTo("Burstable");
    assertThat(String.join(" ", agentArgs))
        .startsWith("run -d --name " + sandbox.name() + "_agent --label k=v")
        .contains("--network net --ip 172.28.0.2 --hostname " + sandbox.name() + " --ipc shareable")
        // the agent's own user: the function's processes cannot read its variables (the invoke
        // token)
        .contains(
            "--user 10002:10001",
            "--read-only",
            "--security-opt no-new-privileges",
            "--cap-drop ALL")
        .contains("--memory 134217728b --memory-swap 134217728b", "--cpus 1.000")
        .contains("--mount code:/var/task", "--env GREETING=hi", "--env KLAMBDA_MEMORY_MB=128")
        .doesNotContain("--mount tmp:/tmp", "--entrypoint", "seccomp")
        .endsWith(" klambda/runtime:test");
    assertThat(String.join(" ", functionArgs))
        .startsWith("run -d --name " + sandbox.name() + "_function --label k=v")
        .contains(
            "--network container:" + sandbox.name() + "_agent",
            "--pid container:" + sandbox.name() + "_agent")
        .contains(
            "--user 10001:10001",
            "--read-only",
            "--security-opt no-new-privileges",
            "--cap-drop ALL")
        .contains("--memory 134217728b --memory-swap 134217728b", "--cpus 0.072", "--cpu-shares 73")
        .contains("--mount tmp:/tmp", "--mount code:/var/task")
        .contains("--entrypoint /opt/klambda/klambda-launcher")
        .doesNotContain("--env GREETING", "--ip ")
        .endsWith(" klambda/runtime:test");
  }

  @Test
  void sidecarsComeFirstAndTheOthersJoinItsNamespaces() {
    Container agent =
        new ContainerBuilder()
            .withName("agent")
            .withImage("agent:1")
            .withRestartPolicy("Always")
            .withCommand("/agent", "--port", "$(PORT)")
            .addNewEnv()
            .withName("PORT")
            .withValue("9000")
            .endEnv()
            .build();
    Container function =
        new ContainerBuilder()
            .withName("function")
            .withImage("fn:1")
            .withArgs("--mem", "$(MEM)", "$$(MEM)")
            .addNewEnv()
            .withName("MEM")
            .withNewValueFrom()
            .withNewResourceFieldRef()
            .withResource("limits.memory")
            .withDivisor(new Quantity("1Mi"))
            .endResourceFieldRef()
            .endValueFrom()
            .endEnv()
            .addNewEnv()
            .withName("POD")
            .withNewValueFrom()
            .withNewFieldRef()
            .withFieldPath("metadata.name")
            .endFieldRef()
            .endValueFrom()
            .endEnv()
            .withNewResources()
            .addToLimits("memory", new Quantity("256Mi"))
            .endResources()
            .build();
    Pod pod =
        new PodBuilder()
            .withNewMetadata()
            .withName("p")
            .endMetadata()
            .withNewSpec()
            .withShareProcessNamespace(true)
            .withInitContainers(agent)
            .withContainers(function)
            .endSpec()
            .build();
    PodSandbox sandbox = PodSandbox.of(pod, "172.28.0.3", "net");

    assertThat(PodLayout.of(pod))
        .extracting(Container::getName)
        .containsExactly("agent", "function");
    assertThat(String.join(" ", ContainerRunArgs.of(sandbox, agent, List.of(), MOUNTS)))
        .contains("--network net --ip 172.28.0.3", "--security-opt seccomp=unconfined")
        .endsWith("--entrypoint /agent agent:1 --port 9000");
    assertThat(String.join(" ", ContainerRunArgs.of(sandbox, function, List.of(), MOUNTS)))
        .contains("--network container:p_agent --ipc container:p_agent --pid container:p_agent")
        .contains("--env MEM=256", "--env POD=p")
        .containsPattern(
            "--oom-score-adj 9[0-9][0-9] ") // Burstable: 1000 less the node's share requested
        .doesNotContain("--ip ", "--cpus")
        .endsWith("fn:1 --mem 256 $(MEM)");
  }

  @Test
  void whatCannotBePlayedFaithfullyIsRefused() {
    Pod withInit =
        new PodBuilder()
            .withNewMetadata()
            .withName("p")
            .endMetadata()
            .withNewSpec()
            .addNewInitContainer()
            .withName("setup")
            .withImage("x")
            .endInitContainer()
            .addNewContainer()
            .withName("main")
            .withImage("x")
            .endContainer()
            .endSpec()
            .build();
    assertThatThrownBy(() -> PodLayout.check(withInit))
        .isInstanceOf(UnsupportedOperationException.class)
        .hasMessageContaining("init container setup");
  }
}
