package dev.klambda.environments;

import static org.assertj.core.api.Assertions.assertThat;

import dev.klambda.function.CodeSource;
import dev.klambda.function.FunctionConfig;
import dev.klambda.function.SizingPolicy;
import dev.klambda.pool.PoolSpec;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.VolumeMount;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The shapes OperatorModeIT does not check field by field: pool members and the Init boost. */
class EnvironmentPodTemplateTest {
  private static final EnvironmentResources RESOURCES =
      EnvironmentResources.defaults(SizingPolicy.DEFAULT);
  static final FunctionConfig ECHO =
      new FunctionConfig(
          "default",
          "echo",
          "uid-1",
          3,
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

  /** The agent's REPORT bills by the gateway's rule. */
  @Test
  void theAgentIsGivenTheBillingRule() {
    Pod pod =
        new EnvironmentPodTemplate(
                "klambda/runtime:test",
                RESOURCES,
                "us-east-1",
                null,
                new dev.klambda.agent.BillingRule(100, false))
            .build(ECHO, false);

    assertThat(pod.getSpec().getInitContainers().getFirst().getEnv())
        .contains(
            new EnvVar("KLAMBDA_BILLING_GRANULARITY_MS", "100", null),
            new EnvVar("KLAMBDA_BILL_INIT", "false", null));
  }

  @Test
  void aPoolMemberIsAnEnvironmentPodForNoFunctionWithAnEmptyTaskRoot() {
    Pod pod =
        new EnvironmentPodTemplate("klambda/runtime:test", RESOURCES, "us-east-1")
            .buildPoolMember(new PoolSpec("team-b", "java21", 256, 2));

    assertThat(pod.getMetadata().getNamespace()).isEqualTo("team-b");
    assertThat(pod.getMetadata().getGenerateName()).isEqualTo("klambda-pool-java21-256-");
    assertThat(pod.getMetadata().getLabels())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of("app.kubernetes.io/managed-by", "klambda", "klambda.dev/pool", "java21-256"));
    assertThat(pod.getMetadata().getOwnerReferences()).isEmpty();
    assertThat(pod.getSpec().getTerminationGracePeriodSeconds())
        .as("the longest function timeout + Shutdown")
        .isEqualTo(FunctionConfig.MAX_TIMEOUT_SECONDS + 5L);
    assertThat(pod.getSpec().getVolumes())
        .filteredOn(v -> v.getName().equals("code"))
        .singleElement()
        .satisfies(v -> assertThat(v.getEmptyDir().getSizeLimit()).isEqualTo(new Quantity("16Mi")));
    Container agent = pod.getSpec().getInitContainers().getFirst();
    Container function = pod.getSpec().getContainers().getFirst();
    assertThat(agent.getEnv())
        .containsExactly(
            new EnvVar("KLAMBDA_POOL", "java21-256", null),
            new EnvVar("KLAMBDA_RUNTIME", "java21", null),
            new EnvVar("KLAMBDA_MEMORY_MB", "256", null),
            new EnvVar("KLAMBDA_TASK_ROOT", "/var/task", null),
            new EnvVar("KLAMBDA_LAUNCHER_ADDRESS", "127.0.0.1:9002", null));
    assertThat(agent.getVolumeMounts())
        .extracting(VolumeMount::getName, VolumeMount::getReadOnly)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("code", false));
    assertThat(function.getVolumeMounts())
        .filteredOn(m -> m.getName().equals("code"))
        .extracting(VolumeMount::getReadOnly)
        .containsExactly(true);
    assertThat(function.getResources().getLimits())
        .containsEntry("memory", new Quantity("256Mi"))
        .containsEntry("cpu", new Quantity("143m"));
  }

  @Test
  void theAgentAloneHoldsTheInvokeTokenThatAnyReplicaWithTheKeyDerives() {
    dev.klambda.auth.PeerKey key = dev.klambda.auth.PeerKey.of("a-key-of-the-gateway-replicas");
    EnvironmentPodTemplate template =
        new EnvironmentPodTemplate("klambda/runtime:test", RESOURCES, "us-east-1", key);
    Pod first = template.build(ECHO, false);
    Pod second = template.build(ECHO, false);

    String nonce = first.getMetadata().getAnnotations().get(EnvironmentPodTemplate.INVOKE_NONCE);
    Container agent = first.getSpec().getInitContainers().getFirst();
    Container function = first.getSpec().getContainers().getFirst();
    assertThat(agent.getEnv())
        .contains(new EnvVar("KLAMBDA_INVOKE_TOKEN", key.environmentToken(nonce), null));
    assertThat(function.getEnv())
        .extracting(EnvVar::getName)
        .doesNotContain("KLAMBDA_INVOKE_TOKEN");
    // another user than the function's, which shares the PID namespace: /proc/<agent>/environ stays
    // closed
    assertThat(agent.getSecurityContext().getRunAsUser()).isEqualTo(10002L);
    assertThat(first.getSpec().getSecurityContext().getRunAsUser()).isEqualTo(10001L);
    // any replica holding the key derives the token from the Pod it finds (adoption)
    assertThat(
            new EnvironmentPodTemplate(
                    "img",
                    RESOURCES,
                    "us-east-1",
                    dev.klambda.auth.PeerKey.of("a-key-of-the-gateway-replicas"))
                .invokeToken(first))
        .isEqualTo(key.environmentToken(nonce));
    assertThat(template.invokeToken(second))
        .as("one token per Pod")
        .isNotEqualTo(template.invokeToken(first));
    assertThat(
            new EnvironmentPodTemplate(
                    "img",
                    RESOURCES,
                    "us-east-1",
                    dev.klambda.auth.PeerKey.of("another-key-altogether-here"))
                .invokeToken(first))
        .isNotEqualTo(template.invokeToken(first));
    assertThat(
            template
                .buildPoolMember(new PoolSpec("default", "provided", 128, 1))
                .getSpec()
                .getInitContainers()
                .getFirst()
                .getEnv())
        .extracting(EnvVar::getName)
        .contains("KLAMBDA_INVOKE_TOKEN");
  }

  @Test
  void withAnInitBoostTheFunctionStartsWithMoreCpuThanItsShareAndMayBeResizedInPlace() {
    Pod pod =
        new EnvironmentPodTemplate(
                "klambda/runtime:test", RESOURCES.withInitBoost(1000), "us-east-1")
            .build(ECHO, false);

    Container function = pod.getSpec().getContainers().getFirst();
    assertThat(function.getResources().getRequests()).containsEntry("cpu", new Quantity("72m"));
    assertThat(function.getResources().getLimits())
        .containsEntry("cpu", new Quantity("1000m"))
        .containsEntry("memory", new Quantity("128Mi"));
    assertThat(function.getResizePolicy())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.getResourceName()).isEqualTo("cpu");
              assertThat(p.getRestartPolicy()).isEqualTo("NotRequired");
            });
  }

  @Test
  void noBoostAboveTheShareNorWithoutACpuLimit() {
    FunctionConfig big =
        new FunctionConfig(
            "default",
            "big",
            "uid-2",
            1,
            "provided",
            "",
            ECHO.code(),
            3008,
            ECHO.timeout(),
            ECHO.initTimeout(),
            Map.of(),
            null,
            0,
            ECHO.idleTimeout(),
            null);
    EnvironmentPodTemplate boosted =
        new EnvironmentPodTemplate("img", RESOURCES.withInitBoost(1000), "us-east-1");
    EnvironmentPodTemplate unlimited =
        new EnvironmentPodTemplate(
            "img",
            new EnvironmentResources(
                SizingPolicy.DEFAULT, EnvironmentResources.CpuLimit.NONE, 50, 1000, 128, 1000),
            "us-east-1");

    assertThat(
            boosted
                .build(big, false)
                .getSpec()
                .getContainers()
                .getFirst()
                .getResources()
                .getLimits())
        .containsEntry("cpu", new Quantity("1679m"));
    assertThat(
            unlimited
                .build(ECHO, false)
                .getSpec()
                .getContainers()
                .getFirst()
                .getResources()
                .getLimits())
        .doesNotContainKey("cpu");
    assertThat(
            boosted
                .withoutInitBoost()
                .build(ECHO, false)
                .getSpec()
                .getContainers()
                .getFirst()
                .getResources()
                .getLimits())
        .containsEntry("cpu", new Quantity("72m"));
  }
}
