package dev.klambda.testing;

import dev.klambda.agent.Docker;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Probe;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds back the containers after a native sidecar until its startup probe succeeds, as the kubelet
 * does. Timed like the kubelet's prober: its worker ticks every {@code periodSeconds} from when it
 * learned of the Pod (here: when {@link DockerPod#start()} began), not from the container's start,
 * and skips ticks within {@code initialDelaySeconds} of the container's start; so a start pays on
 * average half a period on top of the probe itself. A sidecar without a startup probe counts as
 * started once it runs.
 */
final class StartupProbeGate {
  private static final Logger LOG = LoggerFactory.getLogger(StartupProbeGate.class);
  private static final HttpClient HTTP =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private StartupProbeGate() {}

  /**
   * @param podStartNanos when the Pod's start began ({@link System#nanoTime()})
   * @param containerStartNanos when this container's {@code docker run} returned
   */
  static void await(
      PodSandbox sandbox, Container container, long podStartNanos, long containerStartNanos)
      throws InterruptedException {
    Probe probe = container.getStartupProbe();
    if (probe == null) {
      return;
    }
    long period = TimeUnit.SECONDS.toNanos(orDefault(probe.getPeriodSeconds(), 10));
    long initialDelay = TimeUnit.SECONDS.toNanos(orDefault(probe.getInitialDelaySeconds(), 0));
    int failureThreshold = orDefault(probe.getFailureThreshold(), 3);
    int failures = 0;
    for (long tick = podStartNanos + period; ; tick += period) {
      TimeUnit.NANOSECONDS.sleep(tick - System.nanoTime());
      if (System.nanoTime() - containerStartNanos < initialDelay) {
        continue;
      }
      if (succeeds(sandbox, container, probe)) {
        LOG.debug("{}: startup probe succeeded", sandbox.containerName(container));
        return;
      }
      if (++failures >= failureThreshold) {
        // the kubelet would restart the sidecar; a measurement should stop and say so
        throw new IllegalStateException(
            sandbox.containerName(container) + ": startup probe failed " + failures + " times");
      }
    }
  }

  private static boolean succeeds(PodSandbox sandbox, Container container, Probe probe)
      throws InterruptedException {
    Duration timeout = Duration.ofSeconds(orDefault(probe.getTimeoutSeconds(), 1));
    try {
      if (probe.getHttpGet() != null) {
        var get = probe.getHttpGet();
        if (get.getScheme() != null && !get.getScheme().equals("HTTP")) {
          throw new UnsupportedOperationException("startup probe scheme " + get.getScheme());
        }
        String path = get.getPath() == null ? "/" : get.getPath();
        URI uri =
            URI.create("http://" + sandbox.ip() + ":" + port(container, get.getPort()) + path);
        int status =
            HTTP.send(
                    HttpRequest.newBuilder(uri).timeout(timeout).GET().build(),
                    HttpResponse.BodyHandlers.discarding())
                .statusCode();
        return status >= 200 && status < 400;
      }
      if (probe.getTcpSocket() != null) {
        try (Socket socket = new Socket()) {
          socket.connect(
              new InetSocketAddress(sandbox.ip(), port(container, probe.getTcpSocket().getPort())),
              (int) timeout.toMillis());
          return true;
        }
      }
      if (probe.getExec() != null) {
        List<String> exec =
            new ArrayList<>(List.of("docker", "exec", sandbox.containerName(container)));
        exec.addAll(probe.getExec().getCommand());
        return Docker.run(timeout.plusSeconds(10), null, exec.toArray(String[]::new)).exitCode()
            == 0;
      }
    } catch (IOException notYet) {
      return false;
    }
    throw new UnsupportedOperationException("startup probe " + probe);
  }

  /** A probe's port: a number, or the name of one of the container's ports. */
  private static int port(Container container, IntOrString port) {
    if (port.getIntVal() != null) {
      return port.getIntVal();
    }
    return container.getPorts().stream()
        .filter(p -> port.getStrVal().equals(p.getName()))
        .map(ContainerPort::getContainerPort)
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no port named " + port.getStrVal()));
  }

  private static int orDefault(Integer value, int fallback) {
    return value == null ? fallback : value;
  }
}
