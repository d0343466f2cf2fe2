package dev.klambda.e2e;

import java.nio.file.Path;
import java.util.Locale;

/**
 * What the e2e run is pointed at, from system properties (the module's pom sets the defaults, and
 * {@code -De2e.x=...} on the Maven command line overrides them; e2e/README.md lists them).
 *
 * @param repoRoot the repository: charts/klambda and examples/ are read from there
 * @param kubeconfig a cluster to use instead of starting K3s in Docker; empty: K3s
 * @param k3sImage the rancher/k3s image of the K3s container
 * @param operatorImage the operator image, as built by {@code docker build -t ... operator}
 * @param runtimeImage the runtime image, as built by {@code docker build -t ... agent}
 * @param imageRegistry a registry prefix ({@code registry.example:5000}) that both images are
 *     pulled from on a given cluster; empty: the images are used as named (always on K3s, which
 *     gets them imported)
 * @param pull let Testcontainers pull a missing K3s image instead of skipping
 * @param required fail instead of skipping where Docker, K3s or the images are missing (for CI
 *     machines where the suite must run)
 * @param keep leave the release and its namespace on a given cluster after the run, to look at
 */
record E2ESettings(
    Path repoRoot,
    String kubeconfig,
    String k3sImage,
    String operatorImage,
    String runtimeImage,
    String imageRegistry,
    boolean pull,
    boolean required,
    boolean keep) {

  static E2ESettings fromSystemProperties() {
    return new E2ESettings(
        Path.of(property("e2e.repoRoot", "..")).toAbsolutePath().normalize(),
        property("e2e.kubeconfig", ""),
        property("e2e.k3sImage", "rancher/k3s:v1.31.2-k3s1"),
        property("e2e.operatorImage", "klambda/operator:0.1.0"),
        property("e2e.runtimeImage", "klambda/runtime:0.1.0"),
        property("e2e.imageRegistry", ""),
        flag("e2e.pull"),
        flag("e2e.required"),
        flag("e2e.keep"));
  }

  /** True when the tests install klambda into a cluster they were given rather than K3s. */
  boolean givenCluster() {
    return !kubeconfig.isBlank();
  }

  /** The operator image as the cluster pulls it. */
  String operatorImageInCluster() {
    return inCluster(operatorImage);
  }

  /** The runtime image as the cluster pulls it. */
  String runtimeImageInCluster() {
    return inCluster(runtimeImage);
  }

  /**
   * K3s runs the images imported under their own names; a given cluster pulls them, maybe from a
   * registry.
   */
  private String inCluster(String image) {
    return !givenCluster() || imageRegistry.isBlank()
        ? image
        : imageRegistry.replaceAll("/+$", "") + "/" + image;
  }

  /** {@code repository:tag} split at the tag's colon (not a registry port's). */
  static String[] repositoryAndTag(String image) {
    int colon = image.lastIndexOf(':');
    if (colon < 0 || colon < image.lastIndexOf('/')) {
      return new String[] {image, "latest"};
    }
    return new String[] {image.substring(0, colon), image.substring(colon + 1)};
  }

  private static String property(String name, String fallback) {
    String value = System.getProperty(name);
    return value == null || value.isBlank() ? fallback : value.trim();
  }

  private static boolean flag(String name) {
    // Maven turns a bare -De2e.required into "true"
    return System.getProperty(name, "false").trim().toLowerCase(Locale.ROOT).equals("true");
  }
}
