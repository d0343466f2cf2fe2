package dev.klambda.kubelet;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.Probe;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The container's HTTP readiness probe against its Pod IP; without one, the agent's
 * {@code /klambda/ready} on the invoke port every second.
 */
final class ReadinessProbe {
  private static final Logger LOG = LoggerFactory.getLogger(ReadinessProbe.class);

  private final HttpClient http;
  private final String podKey;
  private final String uri;
  /** The same probe held by the agent until Init ends, instead of answering at once. */
  private final String waitingUri;
  private final long periodMillis;
  private int lastCode;

  ReadinessProbe(HttpClient http, Container container, InetAddress ip, String podKey) {
    this.http = http;
    this.podKey = podKey;
    Probe probe = container.getReadinessProbe();
    HTTPGetAction get = probe == null ? null : probe.getHttpGet();
    String path = get == null || get.getPath() == null ? "/klambda/ready" : get.getPath();
    int port = AgentCommand.INVOKE_PORT;
    if (get != null && get.getPort() != null && get.getPort().getIntVal() != null) {
      port = get.getPort().getIntVal();
    }
    this.periodMillis = probe == null || probe.getPeriodSeconds() == null
        ? 1000 : probe.getPeriodSeconds() * 1000L;
    this.uri = "http://" + ip.getHostAddress() + ":" + port + path;
    this.waitingUri = uri + (path.contains("?") ? "&" : "?") + "waitMs=1000";
  }

  /** Probes once: the status code, or -1 when nothing answers. */
  int check(boolean ready) {
    // until the container is ready, let the agent hold the probe until Init ends
    int code = get(ready ? uri : waitingUri);
    if (code != lastCode && code == 500) {
      LOG.info("kubelet fixture: pod {}: Init failed, not Ready", podKey);
    }
    lastCode = code;
    return code;
  }

  /** Quick while the agent is not listening yet or still in Init, then every period. */
  long pauseAfter(int code) {
    return code == 200 || code == 500 ? periodMillis : code < 0 ? 100 : 20;
  }

  private int get(String target) {
    try {
      HttpResponse<Void> response = http.send(HttpRequest.newBuilder(URI.create(target))
          .timeout(Duration.ofSeconds(3)).GET().build(), HttpResponse.BodyHandlers.discarding());
      return response.statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }
}
