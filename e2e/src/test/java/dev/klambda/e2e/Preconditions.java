package dev.klambda.e2e;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.dockerclient.DockerClientProviderStrategy;

/**
 * What the suite needs from the machine, checked before anything starts: helm, and for K3s a Docker
 * engine with the K3s image, Testcontainers' Ryuk image and both klambda images in it. Nothing is
 * pulled unless {@code -De2e.pull=true} (for K3s and Ryuk; the klambda images are built, never
 * pulled).
 */
final class Preconditions {
  /** The clean-up container Testcontainers 1.21.4 starts before any other (its RyukContainer). */
  static final String RYUK_IMAGE = "testcontainers/ryuk:0.12.0";

  private Preconditions() {}

  /** Empty when the suite can run; else every reason why not, as one message. */
  static Optional<String> unmet(E2ESettings settings) {
    List<String> missing = new ArrayList<>();
    if (!Helm.installed()) {
      missing.add("helm is not on PATH (.ci/install-helm.sh installs it)");
    }
    if (settings.givenCluster()) {
      // the images must be pullable there: that is the cluster's business, and a wrong kubeconfig
      // is an error to report, not a reason to skip
      return message(missing);
    }
    // Testcontainers' discovery of the engine (DOCKER_HOST, ~/.testcontainers.properties, the
    // socket), but not isDockerAvailable(): that starts Testcontainers' Ryuk container, pulling
    // its image first (minutes of retries where nothing can be pulled). A plain client instead.
    try (DockerClient docker =
        DockerClientProviderStrategy.getClientForConfig(
            DockerClientFactory.instance().getTransportConfig())) {
      docker.pingCmd().exec();
      missingImages(docker, settings, missing);
    } catch (IOException | RuntimeException e) {
      missing.add(
          "no Docker engine is reachable ("
              + e.getMessage()
              + "): start dockerd or set DOCKER_HOST, "
              + "or run against an existing cluster with -De2e.kubeconfig=PATH");
    }
    return message(missing);
  }

  private static void missingImages(
      DockerClient docker, E2ESettings settings, List<String> missing) {
    if (!settings.pull() && !present(docker, settings.k3sImage())) {
      missing.add(
          "the K3s image "
              + settings.k3sImage()
              + " is not in the local Docker engine and nothing is "
              + "pulled by default: `docker pull "
              + settings.k3sImage()
              + "` where a registry is reachable (or add "
              + "-De2e.pull=true), choose a local one with -De2e.k3sImage=IMAGE, or run against an existing cluster "
              + "with -De2e.kubeconfig=PATH");
    }
    String ryuk = RYUK_IMAGE;
    if (!settings.pull()
        && !"true".equalsIgnoreCase(System.getenv("TESTCONTAINERS_RYUK_DISABLED"))
        && !present(docker, ryuk)) {
      missing.add(
          "Testcontainers' clean-up container image "
              + ryuk
              + " is not in the local Docker engine: "
              + "`docker pull "
              + ryuk
              + "`, or set TESTCONTAINERS_RYUK_DISABLED=true (the suite stops K3s itself)");
    }
    List<String> images = new ArrayList<>();
    for (String image : List.of(settings.operatorImage(), settings.runtimeImage())) {
      if (!present(docker, image)) {
        images.add(image);
      }
    }
    if (!images.isEmpty()) {
      missing.add(
          "the klambda image(s) "
              + String.join(", ", images)
              + " are not in the local Docker engine: "
              + "build them with .ci/run, or `mvn -B package -DskipTests && docker build -t klambda/runtime:0.1.0 "
              + "agent && docker build -t klambda/operator:0.1.0 operator` (README.md, \"Images\")");
    }
  }

  private static Optional<String> message(List<String> missing) {
    return missing.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", missing));
  }

  private static boolean present(DockerClient docker, String image) {
    try {
      docker.inspectImageCmd(image).exec();
      return true;
    } catch (NotFoundException e) {
      return false;
    }
  }
}
