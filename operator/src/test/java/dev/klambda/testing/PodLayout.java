package dev.klambda.testing;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Volume;
import java.util.ArrayList;
import java.util.List;

/**
 * The containers of a Pod in the order the kubelet starts them: native sidecars (init containers
 * with {@code restartPolicy: Always}) in their order, then the containers. Also refuses, before
 * anything runs, what {@link DockerPod} cannot play faithfully: a wrong answer would be worse.
 */
final class PodLayout {
  static final String SIDECAR_RESTART_POLICY = "Always";

  private PodLayout() {}

  static List<Container> of(Pod pod) {
    PodSpec spec = pod.getSpec();
    List<Container> ordered = new ArrayList<>();
    for (Container init : list(spec.getInitContainers())) {
      if (!isSidecar(init)) {
        // it would run to completion first; with the first container owning the network
        // namespace that needs a pause container, which no Pod of ours has needed yet
        throw new UnsupportedOperationException(
            "init container " + init.getName() + " that is not a sidecar (restartPolicy Always)");
      }
      ordered.add(init);
    }
    ordered.addAll(list(spec.getContainers()));
    if (ordered.isEmpty()) {
      throw new IllegalArgumentException("the Pod has no containers");
    }
    return ordered;
  }

  static boolean isSidecar(Container container) {
    return SIDECAR_RESTART_POLICY.equals(container.getRestartPolicy());
  }

  /** Fails on Pod features DockerPod does not play. */
  static void check(Pod pod) {
    PodSpec spec = pod.getSpec();
    if (Boolean.TRUE.equals(spec.getHostNetwork())
        || Boolean.TRUE.equals(spec.getHostPID())
        || Boolean.TRUE.equals(spec.getHostIPC())) {
      throw new UnsupportedOperationException("host namespaces");
    }
    for (Container container : of(pod)) {
      if (container.getLifecycle() != null
          && (container.getLifecycle().getPostStart() != null
              || container.getLifecycle().getPreStop() != null)) {
        throw new UnsupportedOperationException(
            "lifecycle hooks (container " + container.getName() + ")");
      }
    }
    for (Volume volume : list(spec.getVolumes())) {
      if (volume.getEmptyDir() == null && volume.getConfigMap() == null) {
        throw new UnsupportedOperationException(
            "volume " + volume.getName() + ": only emptyDir and configMap");
      }
    }
  }

  private static <T> List<T> list(List<T> values) {
    return values == null ? List.of() : values;
  }
}
