package dev.klambda.testing;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import java.security.SecureRandom;
import java.util.UUID;

/**
 * What the kubelet decides for a Pod before any container runs (CRI's "sandbox"): its name (from
 * {@code generateName} as the API server would make it), a uid, its IP on a {@link DockerNetwork},
 * and the docker name of each container. The first container of the {@link PodLayout} owns the
 * Pod's network, IPC and (when shared) process namespaces; the others join them.
 */
record PodSandbox(Pod pod, String name, String uid, String ip, String network) {
  private static final String ALPHABET = "bcdfghjklmnpqrstvwxz2456789"; // the API server's
  private static final SecureRandom RANDOM = new SecureRandom();

  static PodSandbox of(Pod pod, String ip, String network) {
    String name = pod.getMetadata().getName();
    if (name == null || name.isEmpty()) {
      StringBuilder suffix = new StringBuilder();
      for (int i = 0; i < 5; i++) {
        suffix.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
      }
      name = pod.getMetadata().getGenerateName() + suffix;
    }
    return new PodSandbox(pod, name, UUID.randomUUID().toString(), ip, network);
  }

  /** The docker container of a Pod container: {@code <pod>_<container>}. */
  String containerName(Container container) {
    return name + "_" + container.getName();
  }

  /** The docker container that owns the Pod's namespaces. */
  String owner() {
    return containerName(PodLayout.of(pod).getFirst());
  }

  boolean sharesProcessNamespace() {
    return Boolean.TRUE.equals(pod.getSpec().getShareProcessNamespace());
  }
}
