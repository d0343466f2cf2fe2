package dev.klambda.environments;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import java.net.URI;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ends a function container's Init boost: once its first Init is over, its CPU limit is resized in
 * place (the Pod's {@code resize} subresource, Kubernetes ≥ 1.33) down to its memory-based share,
 * so invocations run at exactly what the function pays for. Asynchronous: the first invocation does
 * not wait for it (the kubelet applies a resize on its own time in any case).
 *
 * <p>A cluster that refuses the resize (older than 1.33, the feature gate off, RBAC without {@code
 * pods/resize}) gets no boost from then on: the template switches to one without it, with a warning
 * naming why. The Pods already started keep their boosted limit until they stop.
 */
final class InitCpuBoost {
  private static final Logger LOG = LoggerFactory.getLogger(InitCpuBoost.class);

  private final KubernetesClient client;
  private final AtomicReference<EnvironmentPodTemplate> template;

  /**
   * @param template the manager's current template; replaced by one without boost on refusal
   */
  InitCpuBoost(KubernetesClient client, AtomicReference<EnvironmentPodTemplate> template) {
    this.client = client;
    this.template = template;
  }

  /**
   * Resizes the function container's CPU limit of {@code namespace/pod} to {@code share} (its
   * request, e.g. {@code 72m}); completes either way.
   */
  CompletableFuture<Void> end(String namespace, String pod, String share) {
    String patch =
        "{\"spec\":{\"containers\":[{\"name\":\""
            + EnvironmentPodTemplate.FUNCTION_CONTAINER
            + "\",\"resources\":{\"limits\":{\"cpu\":\""
            + share
            + "\"}}}]}}";
    URI uri =
        URI.create(client.getMasterUrl().toString())
            .resolve("api/v1/namespaces/" + namespace + "/pods/" + pod + "/resize");
    HttpRequest request =
        client
            .getHttpClient()
            .newHttpRequestBuilder()
            .uri(uri)
            .method("PATCH", "application/strategic-merge-patch+json", patch)
            .timeout(10, TimeUnit.SECONDS)
            .build();
    return client
        .getHttpClient()
        .sendAsync(request, String.class)
        .handle(
            (response, failure) -> {
              if (failure != null) {
                LOG.warn(
                    "pod {}/{}: the Init boost's resize failed, the Pod keeps its boosted CPU limit: {}",
                    namespace,
                    pod,
                    failure.toString());
              } else if (!response.isSuccessful()) {
                refused(namespace, pod, response);
              } else {
                LOG.debug("pod {}/{}: CPU limit resized to {} after Init", namespace, pod, share);
              }
              return null;
            });
  }

  private void refused(String namespace, String pod, HttpResponse<String> response) {
    EnvironmentPodTemplate boosted = template.get();
    if (template.compareAndSet(boosted, boosted.withoutInitBoost())
        && boosted.resources().initCpuBoostMillis() > 0) {
      LOG.warn(
          "pod {}/{}: the cluster refused an in-place resize ({} {}); the Init CPU boost is off from now on"
              + " (it needs Kubernetes 1.33 or later and RBAC on pods/resize); this Pod keeps its boosted"
              + " CPU limit until it stops",
          namespace,
          pod,
          response.code(),
          response.body());
    }
  }
}
