package dev.klambda.kubelet;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Writes one Pod's status subresource; failures are logged, never thrown. */
final class StatusWriter {
  private static final Logger LOG = LoggerFactory.getLogger(StatusWriter.class);

  private final KubernetesClient client;
  private final String namespace;
  private final String name;
  private final String uid;

  /** Held from the snapshot to the API call, so an older status never overwrites a newer one. */
  private final ReentrantLock lock = new ReentrantLock();

  StatusWriter(KubernetesClient client, Pod pod) {
    this.client = client;
    this.namespace = pod.getMetadata().getNamespace();
    this.name = pod.getMetadata().getName();
    this.uid = pod.getMetadata().getUid();
  }

  /** Read-modify-write of the status the snapshot gives; nothing when it gives null. */
  void write(Supplier<PodStatus> snapshot) {
    lock.lock();
    try {
      PodStatus status = snapshot.get();
      if (status == null) {
        return;
      }
      try {
        // a Pod recreated under the same name is not this one
        client
            .pods()
            .inNamespace(namespace)
            .withName(name)
            .editStatus(
                current ->
                    uid.equals(current.getMetadata().getUid())
                        ? new PodBuilder(current).withStatus(status).build()
                        : current);
      } catch (RuntimeException e) {
        if (e instanceof KubernetesClientException k && k.getCode() == 404) {
          LOG.debug("kubelet fixture: pod {}/{} is gone", namespace, name);
        } else {
          LOG.warn("kubelet fixture: cannot write the status of pod {}/{}", namespace, name, e);
        }
      }
    } finally {
      lock.unlock();
    }
  }
}
