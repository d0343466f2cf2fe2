package dev.klambda.environments;

import dev.klambda.agent.AgentProtocol;
import dev.klambda.agent.BillingRule;
import dev.klambda.auth.PeerKey;
import dev.klambda.function.CodeSource;
import dev.klambda.function.FunctionConfig;
import dev.klambda.function.SizingPolicy;
import dev.klambda.pool.PoolSpec;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Pod of one execution environment, derived from the function alone (pure). Two containers
 * share the Pod's network and process namespaces:
 *
 * <ul>
 *   <li>{@code agent}, a native sidecar (an init container that keeps running) with resources of
 *       its own: klambda's agent, serving the gateway on the invoke port and the function the
 *       Runtime API on the loopback. It starts first, so it listens by the time the function's
 *       container asks for work;
 *   <li>{@code function}, limited to the function's memory and memory-based CPU: its entry point,
 *       the launcher, starts the runtime and extensions there for the agent.
 * </ul>
 *
 * The code is at the task root of both (the agent checks it, the runtime runs it), a private {@code
 * /tmp} in the function's, a grace period covering an invocation plus Shutdown, and a restricted
 * security context. There is no readiness probe: the router learns that Init is over from the agent
 * itself, and no Service selects these Pods.
 */
public record EnvironmentPodTemplate(
    String runtimeImage,
    EnvironmentResources resources,
    String region,
    PeerKey keys,
    BillingRule billing) {
  public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
  public static final String FUNCTION = "klambda.dev/function";
  public static final String GENERATION = "klambda.dev/generation";

  /** On a warm-pool member until it is claimed: its pool's name, e.g. {@code provided-128}. */
  public static final String POOL = "klambda.dev/pool";

  public static final String AGENT_CONTAINER = "agent";
  public static final String FUNCTION_CONTAINER = "function";
  public static final String TASK_ROOT = "/var/task";

  /** The launcher in the runtime image (and in function images built FROM it). */
  public static final String LAUNCHER = "/opt/klambda/klambda-launcher";

  /** Where the launcher reaches the agent: the Pod's loopback. */
  static final String LAUNCHER_ADDRESS = "127.0.0.1:9002";

  /** Room for a claimed function's code: a ConfigMap's 1 MiB, with plenty to spare. */
  static final String POOL_CODE_SIZE = "16Mi";

  /** {@code /tmp} as in Lambda's default ephemeral storage. */
  static final String TMP_SIZE = "512Mi";

  /** Shutdown after the last invocation: runtime stop + extensions' 2 s, with room to spare. */
  private static final int SHUTDOWN_SECONDS = 5;

  private static final long NON_ROOT_UID = 10001;

  /**
   * The agent's own user: the function's processes (another user, sharing the PID namespace) cannot
   * read its variables, so the invoke token stays the gateway's and the agent's.
   */
  private static final long AGENT_UID = 10002;

  /** A random value per Pod; the agent's invoke token is derived from it with the replicas' key. */
  public static final String INVOKE_NONCE = "klambda.dev/invoke-nonce";

  /** Pods without invoke tokens: their agents take work from anyone (tests, benchmarks). */
  public EnvironmentPodTemplate(String runtimeImage, SizingPolicy sizing, String region) {
    this(runtimeImage, EnvironmentResources.defaults(sizing), region, null, BillingRule.AWS);
  }

  /** Pods without invoke tokens: their agents take work from anyone (tests, benchmarks). */
  public EnvironmentPodTemplate(
      String runtimeImage, EnvironmentResources resources, String region) {
    this(runtimeImage, resources, region, null, BillingRule.AWS);
  }

  /** Pods whose agents bill as AWS does (tests). */
  public EnvironmentPodTemplate(
      String runtimeImage, EnvironmentResources resources, String region, PeerKey keys) {
    this(runtimeImage, resources, region, keys, BillingRule.AWS);
  }

  /**
   * The invoke token of a Pod this template built (or another replica's, with the same key): only
   * who holds the key can make it. Null for a Pod without one.
   */
  public String invokeToken(Pod pod) {
    Map<String, String> annotations = pod.getMetadata().getAnnotations();
    String nonce = annotations == null ? null : annotations.get(INVOKE_NONCE);
    return keys == null || nonce == null ? null : keys.environmentToken(nonce);
  }

  /** The annotations of a new Pod, and its agent's invoke token among {@code agentEnv}. */
  private Map<String, String> annotations(Map<String, String> agentEnv) {
    Map<String, String> annotations = new LinkedHashMap<>();
    // the agent's log is the function's log: START, the runtime's lines, END, REPORT
    annotations.put("kubectl.kubernetes.io/default-container", AGENT_CONTAINER);
    if (keys != null) {
      String nonce = java.util.UUID.randomUUID().toString();
      annotations.put(INVOKE_NONCE, nonce);
      agentEnv.put(AgentProtocol.INVOKE_TOKEN_VARIABLE, keys.environmentToken(nonce));
    }
    return annotations;
  }

  public static Map<String, String> labels(FunctionConfig function) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(MANAGED_BY, "klambda");
    labels.put(FUNCTION, function.name());
    labels.put(GENERATION, Long.toString(function.generation()));
    return labels;
  }

  public Pod build(FunctionConfig function, boolean provisioned) {
    List<Volume> volumes = new ArrayList<>();
    List<VolumeMount> codeMounts = new ArrayList<>();
    // a function image is FROM the runtime image: the agent and the launcher are in it too, and
    // both containers see the code it carries
    String image = runtimeImage;
    switch (function.code()) {
      case CodeSource.Inline inline -> {
        volumes.add(codeVolume(CodeConfigMap.name(function.name()), inline));
        codeMounts.add(codeMount(true));
      }
      case CodeSource.FromConfigMap configMap -> {
        volumes.add(
            new VolumeBuilder()
                .withName("code")
                .withNewConfigMap()
                .withName(configMap.name())
                .withDefaultMode(0555)
                .endConfigMap()
                .build());
        codeMounts.add(codeMount(true));
      }
      case CodeSource.FromImage fromImage -> image = fromImage.image();
    }
    Map<String, String> agentEnv =
        AgentEnvironment.of(function, region, TASK_ROOT, provisioned, billing);
    agentEnv.put(AgentEnvironment.LAUNCHER_ADDRESS, LAUNCHER_ADDRESS);
    return new PodBuilder()
        .withNewMetadata()
        .withNamespace(function.namespace())
        .withGenerateName(function.name() + "-")
        .withLabels(labels(function))
        .withAnnotations(annotations(agentEnv))
        .withOwnerReferences(owner(function))
        .endMetadata()
        .withSpec(
            spec(
                image,
                agentEnv,
                volumes,
                codeMounts,
                codeMounts,
                function.memoryMB(),
                function.timeout().toSeconds()))
        .build();
  }

  /**
   * A member of a warm pool: the same two containers with the pool's memory and CPU, for no
   * function yet. The task root is an empty folder the agent writes the claiming function's code
   * into (read-only for the function's container, as a ConfigMap volume is); the grace period
   * covers the longest function timeout, since the Pod cannot learn its function's later.
   */
  public Pod buildPoolMember(PoolSpec pool) {
    List<Volume> volumes = new ArrayList<>();
    volumes.add(
        new VolumeBuilder()
            .withName("code")
            .withNewEmptyDir()
            .withSizeLimit(new Quantity(POOL_CODE_SIZE))
            .endEmptyDir()
            .build());
    Map<String, String> agentEnv = AgentEnvironment.poolMember(pool, TASK_ROOT);
    agentEnv.put(AgentEnvironment.LAUNCHER_ADDRESS, LAUNCHER_ADDRESS);
    return new PodBuilder()
        .withNewMetadata()
        .withNamespace(pool.namespace())
        .withGenerateName("klambda-pool-" + pool.name().replace('.', '-') + "-")
        .withLabels(Map.of(MANAGED_BY, "klambda", POOL, pool.name()))
        .withAnnotations(annotations(agentEnv))
        .endMetadata()
        .withSpec(
            spec(
                runtimeImage,
                agentEnv,
                volumes,
                List.of(codeMount(false)),
                List.of(codeMount(true)),
                pool.memoryMB(),
                FunctionConfig.MAX_TIMEOUT_SECONDS))
        .build();
  }

  /** The owner of a function's Pods (and of a pool member once claimed): deleted with it. */
  public static OwnerReference owner(FunctionConfig function) {
    return new OwnerReferenceBuilder()
        .withApiVersion("klambda.dev/v1alpha1")
        .withKind("Function")
        .withName(function.name())
        .withUid(function.uid())
        .withController(true)
        .withBlockOwnerDeletion(true)
        .build();
  }

  private PodSpec spec(
      String image,
      Map<String, String> agentEnv,
      List<Volume> codeVolumes,
      List<VolumeMount> agentMounts,
      List<VolumeMount> codeMounts,
      int memoryMB,
      long timeoutSeconds) {
    List<Volume> volumes = new ArrayList<>();
    volumes.add(
        new VolumeBuilder()
            .withName("tmp")
            .withNewEmptyDir()
            .withSizeLimit(new Quantity(TMP_SIZE))
            .endEmptyDir()
            .build());
    volumes.addAll(codeVolumes);
    List<VolumeMount> functionMounts = new ArrayList<>(codeMounts);
    functionMounts.add(new VolumeMountBuilder().withName("tmp").withMountPath("/tmp").build());
    return new PodSpecBuilder()
        // an environment that dies is replaced by the router, never restarted in place
        .withRestartPolicy("Never")
        // the agent measures the function's memory in /proc, as Lambda's Max Memory Used
        .withShareProcessNamespace(true)
        .withAutomountServiceAccountToken(false)
        .withEnableServiceLinks(false)
        .withTerminationGracePeriodSeconds(timeoutSeconds + SHUTDOWN_SECONDS)
        .withNewSecurityContext()
        .withRunAsNonRoot(true)
        .withRunAsUser(NON_ROOT_UID)
        .withRunAsGroup(NON_ROOT_UID)
        .withNewSeccompProfile()
        .withType("RuntimeDefault")
        .endSeccompProfile()
        .endSecurityContext()
        .withInitContainers(
            new ContainerBuilder()
                .withName(AGENT_CONTAINER)
                .withImage(image)
                // a native sidecar: started before the function's container, stopped after it
                .withRestartPolicy("Always")
                .addNewPort()
                .withName("invoke")
                .withContainerPort(AgentProtocol.INVOKE_PORT)
                .endPort()
                .withEnv(envVars(agentEnv))
                .withResources(agentResources())
                .withSecurityContext(
                    new SecurityContextBuilder(restricted()).withRunAsUser(AGENT_UID).build())
                .withVolumeMounts(agentMounts)
                .build())
        .withContainers(
            new ContainerBuilder()
                .withName(FUNCTION_CONTAINER)
                .withImage(image)
                .withCommand(LAUNCHER)
                .withResources(functionResources(memoryMB))
                // the Init boost ends with an in-place resize of the CPU limit: no restart for that
                .addNewResizePolicy()
                .withResourceName("cpu")
                .withRestartPolicy("NotRequired")
                .endResizePolicy()
                .withSecurityContext(restricted())
                .withVolumeMounts(functionMounts)
                .build())
        .withVolumes(volumes)
        .build();
  }

  /**
   * Exactly the function's memory; its CPU share as request, and as limit unless asked not to
   * (above it while the first Init runs, with an Init boost).
   */
  private ResourceRequirements functionResources(int memoryMB) {
    long share = resources.sizing().cpuMillis(memoryMB);
    Map<String, Quantity> requests =
        Map.of(
            "memory", new Quantity(memoryMB + "Mi"),
            "cpu", new Quantity(share + "m"),
            "ephemeral-storage", new Quantity(TMP_SIZE));
    Map<String, Quantity> limits = new LinkedHashMap<>(requests);
    if (resources.cpuLimit() == EnvironmentResources.CpuLimit.NONE) {
      limits.remove("cpu");
    } else {
      limits.put("cpu", new Quantity(resources.initialCpuLimitMillis(memoryMB) + "m"));
    }
    return new ResourceRequirementsBuilder().withRequests(requests).withLimits(limits).build();
  }

  /** The template for a cluster that cannot resize a container in place: no Init boost. */
  public EnvironmentPodTemplate withoutInitBoost() {
    return new EnvironmentPodTemplate(
        runtimeImage, resources.withoutInitBoost(), region, keys, billing);
  }

  private ResourceRequirements agentResources() {
    Quantity memory = new Quantity(resources.agentMemoryMB() + "Mi");
    Map<String, Quantity> limits = new LinkedHashMap<>();
    limits.put("memory", memory);
    if (resources.agentCpuLimitMillis() > 0) {
      limits.put("cpu", new Quantity(resources.agentCpuLimitMillis() + "m"));
    }
    return new ResourceRequirementsBuilder()
        .withRequests(
            Map.of("memory", memory, "cpu", new Quantity(resources.agentCpuRequestMillis() + "m")))
        .withLimits(limits)
        .build();
  }

  private static SecurityContext restricted() {
    return new SecurityContextBuilder()
        .withAllowPrivilegeEscalation(false)
        .withReadOnlyRootFilesystem(true)
        .withRunAsNonRoot(true)
        .withNewCapabilities()
        .withDrop("ALL")
        .endCapabilities()
        .build();
  }

  private static List<EnvVar> envVars(Map<String, String> values) {
    List<EnvVar> env = new ArrayList<>();
    values.forEach((name, value) -> env.add(new EnvVar(name, value, null)));
    return env;
  }

  private static Volume codeVolume(String configMap, CodeSource.Inline inline) {
    return new VolumeBuilder()
        .withName("code")
        .withNewConfigMap()
        .withName(configMap)
        .withItems(CodeConfigMap.items(inline.files()))
        .endConfigMap()
        .build();
  }

  private static VolumeMount codeMount(boolean readOnly) {
    return new VolumeMountBuilder()
        .withName("code")
        .withMountPath(TASK_ROOT)
        .withReadOnly(readOnly)
        .build();
  }
}
