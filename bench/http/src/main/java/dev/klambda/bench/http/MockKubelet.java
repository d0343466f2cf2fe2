package dev.klambda.bench.http;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Plays the kubelet for the throughput run: every Pod the gateways create runs at once, on a
 * loopback IP of its own from 127.0.13.1 on, where the {@link EchoAgent} answers for it.
 */
final class MockKubelet implements AutoCloseable {
  private final SharedIndexInformer<Pod> informer;
  private final AtomicInteger next = new AtomicInteger();

  MockKubelet(KubernetesClient client) {
    informer =
        client
            .pods()
            .inAnyNamespace()
            .inform(
                new ResourceEventHandler<>() {
                  @Override
                  public void onAdd(Pod pod) {
                    if (pod.getStatus() == null || pod.getStatus().getPodIP() == null) {
                      int n = next.getAndIncrement();
                      String ip = "127.0." + (13 + n / 254) + "." + (1 + n % 254);
                      pod.setStatus(
                          new PodStatusBuilder().withPhase("Running").withPodIP(ip).build());
                      client
                          .pods()
                          .inNamespace(pod.getMetadata().getNamespace())
                          .resource(pod)
                          .updateStatus();
                    }
                  }

                  @Override
                  public void onUpdate(Pod old, Pod pod) {
                    // runs as it is
                  }

                  @Override
                  public void onDelete(Pod pod, boolean finalStateUnknown) {
                    // nothing runs for it
                  }
                });
  }

  @Override
  public void close() {
    informer.close();
  }
}
