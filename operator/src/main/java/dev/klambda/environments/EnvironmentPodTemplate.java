package dev.klambda.environments;

import dev.klambda.agent.AgentProtocol;
import dev.klambda.function.CodeSource;
import dev.klambda.function.FunctionConfig;
import dev.klambda.function.SizingPolicy;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Pod of one execution environment, derived from the function alone (pure): the runtime image
 * (or the function's own), the code at the task root, the agent's configuration, memory and CPU
 * from the sizing policy as request = limit, a private {@code /tmp}, readiness from the agent, a
 * grace period covering an invocation plus Shutdown, and a restricted security context.
 */
public record EnvironmentPodTemplate(String runtimeImage, SizingPolicy sizing, String region) {
  public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
  public static final String FUNCTION = "klambda.dev/function";
  public static final String GENERATION = "klambda.dev/generation";
  public static final String CONTAINER = "function";
  public static final String TASK_ROOT = "/var/task";
  /** {@code /tmp} as in Lambda's default ephemeral storage. */
  static final String TMP_SIZE = "512Mi";
  /** Shutdown after the last invocation: runtime stop + extensions' 2 s, with room to spare. */
  private static final int SHUTDOWN_SECONDS = 5;
  private static final long NON_ROOT_UID = 10001;

  public static Map<String, String> labels(FunctionConfig function) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(MANAGED_BY, "klambda");
    labels.put(FUNCTION, function.name());
    labels.put(GENERATION, Long.toString(function.generation()));
    return labels;
  }

  public Pod build(FunctionConfig function, boolean provisioned) {
    List<Volume> volumes = new ArrayList<>();
    List<VolumeMount> mounts = new ArrayList<>();
    volumes.add(new VolumeBuilder().withName("tmp")
        .withNewEmptyDir().withSizeLimit(new Quantity(TMP_SIZE)).endEmptyDir().build());
    mounts.add(new VolumeMountBuilder().withName("tmp").withMountPath("/tmp").build());
    String image = runtimeImage;
    switch (function.code()) {
      case CodeSource.Inline inline -> {
        volumes.add(codeVolume(CodeConfigMap.name(function.name()), inline));
        mounts.add(codeMount());
      }
      case CodeSource.FromConfigMap configMap -> {
        volumes.add(new VolumeBuilder().withName("code").withNewConfigMap()
            .withName(configMap.name()).withDefaultMode(0555).endConfigMap().build());
        mounts.add(codeMount());
      }
      case CodeSource.FromImage fromImage -> image = fromImage.image();
    }
    return new PodBuilder()
        .withNewMetadata()
          .withNamespace(function.namespace())
          .withGenerateName(function.name() + "-")
          .withLabels(labels(function))
          .addNewOwnerReference()
            .withApiVersion("klambda.dev/v1alpha1").withKind("Function")
            .withName(function.name()).withUid(function.uid())
            .withController(true).withBlockOwnerDeletion(true)
          .endOwnerReference()
        .endMetadata()
        .withNewSpec()
          // an environment that dies is replaced by the router, never restarted in place
          .withRestartPolicy("Never")
          .withAutomountServiceAccountToken(false)
          .withEnableServiceLinks(false)
          .withTerminationGracePeriodSeconds(function.timeout().toSeconds() + SHUTDOWN_SECONDS)
          .withNewSecurityContext()
            .withRunAsNonRoot(true).withRunAsUser(NON_ROOT_UID).withRunAsGroup(NON_ROOT_UID)
            .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile()
          .endSecurityContext()
          .withContainers(new ContainerBuilder()
              .withName(CONTAINER)
              .withImage(image)
              .addNewPort().withName("invoke").withContainerPort(AgentProtocol.INVOKE_PORT).endPort()
              .withEnv(env(function, provisioned))
              .withResources(resources(function))
              .withNewReadinessProbe()
                .withNewHttpGet().withPath(AgentProtocol.READY_PATH)
                  .withNewPort(AgentProtocol.INVOKE_PORT).endHttpGet()
                .withPeriodSeconds(1).withFailureThreshold(1)
              .endReadinessProbe()
              .withNewSecurityContext()
                .withAllowPrivilegeEscalation(false)
                .withReadOnlyRootFilesystem(true)
                .withRunAsNonRoot(true)
                .withNewCapabilities().withDrop("ALL").endCapabilities()
              .endSecurityContext()
              .withVolumeMounts(mounts)
              .build())
          .withVolumes(volumes)
        .endSpec()
        .build();
  }

  private ResourceRequirements resources(FunctionConfig function) {
    Map<String, Quantity> amounts = Map.of(
        "memory", new Quantity(function.memoryMB() + "Mi"),
        "cpu", new Quantity(sizing.cpuMillis(function.memoryMB()) + "m"),
        "ephemeral-storage", new Quantity(TMP_SIZE));
    return new ResourceRequirementsBuilder().withRequests(amounts).withLimits(amounts).build();
  }

  private List<EnvVar> env(FunctionConfig function, boolean provisioned) {
    List<EnvVar> env = new ArrayList<>();
    AgentEnvironment.of(function, region, TASK_ROOT, provisioned)
        .forEach((name, value) -> env.add(new EnvVar(name, value, null)));
    return env;
  }

  private static Volume codeVolume(String configMap, CodeSource.Inline inline) {
    return new VolumeBuilder().withName("code").withNewConfigMap()
        .withName(configMap).withItems(CodeConfigMap.items(inline.files())).endConfigMap().build();
  }

  private static VolumeMount codeMount() {
    return new VolumeMountBuilder().withName("code").withMountPath(TASK_ROOT).withReadOnly(true).build();
  }
}
