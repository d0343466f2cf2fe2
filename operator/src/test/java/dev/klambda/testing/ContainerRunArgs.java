package dev.klambda.testing;

import io.fabric8.kubernetes.api.model.Capabilities;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.VolumeMount;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The {@code docker run -d} arguments of one container of a Pod, as the kubelet would have the
 * container runtime start it: namespaces, identity, security, resources, volumes, environment,
 * entrypoint. Pure, so the translation can be checked without docker.
 */
final class ContainerRunArgs {
  private ContainerRunArgs() {}

  /**
   * @param labels {@code key=value} labels to put on the container
   * @param mounts the {@code --mount} options of a volume mount
   */
  static List<String> of(
      PodSandbox sandbox,
      Container container,
      List<String> labels,
      Function<VolumeMount, List<String>> mounts) {
    List<String> args =
        new ArrayList<>(List.of("run", "-d", "--name", sandbox.containerName(container)));
    labels.forEach(label -> args.addAll(List.of("--label", label)));
    args.addAll(namespaces(sandbox, container));
    args.addAll(security(sandbox.pod().getSpec().getSecurityContext(), container));
    args.addAll(PodResources.dockerOptions(sandbox.pod(), container));
    for (VolumeMount mount : list(container.getVolumeMounts())) {
      args.addAll(mounts.apply(mount));
    }
    Map<String, String> env = PodEnv.of(sandbox, container);
    env.forEach((name, value) -> args.addAll(List.of("--env", name + "=" + value)));
    if (container.getWorkingDir() != null && !container.getWorkingDir().isEmpty()) {
      args.addAll(List.of("--workdir", container.getWorkingDir()));
    }
    // Kubernetes' command replaces the image's ENTRYPOINT (and then drops its CMD), args replace
    // CMD; docker's --entrypoint takes one executable, so the rest of command goes before args
    List<String> command =
        list(container.getCommand()).stream().map(c -> PodEnv.expand(c, env)).toList();
    if (!command.isEmpty()) {
      args.addAll(List.of("--entrypoint", command.getFirst()));
    }
    args.add(container.getImage());
    if (!command.isEmpty()) {
      args.addAll(command.subList(1, command.size()));
    }
    list(container.getArgs()).forEach(arg -> args.add(PodEnv.expand(arg, env)));
    return args;
  }

  /**
   * The first container owns the Pod's network (its fixed IP), IPC and, when shared, process
   * namespaces (the pause container's part in a real Pod); the others join them.
   */
  private static List<String> namespaces(PodSandbox sandbox, Container container) {
    String owner = sandbox.owner();
    if (owner.equals(sandbox.containerName(container))) {
      return List.of(
          "--network",
          sandbox.network(),
          "--ip",
          sandbox.ip(),
          "--hostname",
          sandbox.name(),
          "--ipc",
          "shareable");
    }
    List<String> args =
        new ArrayList<>(List.of("--network", "container:" + owner, "--ipc", "container:" + owner));
    if (sandbox.sharesProcessNamespace()) {
      args.addAll(List.of("--pid", "container:" + owner));
    }
    return args;
  }

  /**
   * The container's security context over the Pod's (the container's fields win, as in Kubernetes).
   */
  private static List<String> security(PodSecurityContext pod, Container container) {
    SecurityContext own =
        container.getSecurityContext() == null
            ? new SecurityContext()
            : container.getSecurityContext();
    PodSecurityContext shared = pod == null ? new PodSecurityContext() : pod;
    List<String> args = new ArrayList<>();
    Long user = first(own.getRunAsUser(), shared.getRunAsUser());
    Long group = first(own.getRunAsGroup(), shared.getRunAsGroup());
    if (Boolean.TRUE.equals(first(own.getRunAsNonRoot(), shared.getRunAsNonRoot()))
        && Long.valueOf(0).equals(user)) {
      throw new IllegalArgumentException(
          "container " + container.getName() + ": runAsNonRoot with runAsUser 0");
    }
    if (user != null) {
      args.addAll(List.of("--user", group == null ? user.toString() : user + ":" + group));
    }
    for (Long supplemental : list(shared.getSupplementalGroups())) {
      args.addAll(List.of("--group-add", supplemental.toString()));
    }
    if (shared.getFsGroup() != null) {
      // the kubelet adds fsGroup to the groups (and chowns volumes, which is not played here)
      args.addAll(List.of("--group-add", shared.getFsGroup().toString()));
    }
    if (Boolean.TRUE.equals(own.getPrivileged())) {
      args.add("--privileged");
    }
    if (Boolean.TRUE.equals(own.getReadOnlyRootFilesystem())) {
      args.add("--read-only");
    }
    if (Boolean.FALSE.equals(own.getAllowPrivilegeEscalation())) {
      args.addAll(List.of("--security-opt", "no-new-privileges"));
    }
    Capabilities capabilities = own.getCapabilities();
    if (capabilities != null) {
      list(capabilities.getDrop()).forEach(c -> args.addAll(List.of("--cap-drop", c)));
      list(capabilities.getAdd()).forEach(c -> args.addAll(List.of("--cap-add", c)));
    }
    var seccomp =
        own.getSeccompProfile() != null ? own.getSeccompProfile() : shared.getSeccompProfile();
    // RuntimeDefault is docker's default profile; unset is Unconfined, the kubelet's default
    // (its seccompDefault setting is off unless a cluster turns it on)
    if (seccomp == null || "Unconfined".equals(seccomp.getType())) {
      args.addAll(List.of("--security-opt", "seccomp=unconfined"));
    } else if ("Localhost".equals(seccomp.getType())) {
      throw new UnsupportedOperationException("Localhost seccomp profiles");
    }
    return args;
  }

  private static <T> T first(T preferred, T fallback) {
    return preferred != null ? preferred : fallback;
  }

  private static <T> List<T> list(List<T> values) {
    return values == null ? List.of() : values;
  }
}
