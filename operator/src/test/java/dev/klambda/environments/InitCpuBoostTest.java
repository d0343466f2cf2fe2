package dev.klambda.environments;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.klambda.function.SizingPolicy;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The resize that ends an Init boost, against an HTTP server standing in for the API server. */
class InitCpuBoostTest {
  private record Seen(String method, String path, String contentType, String body) {}

  private final List<Seen> seen = new CopyOnWriteArrayList<>();
  private final AtomicInteger status = new AtomicInteger(200);
  private final AtomicReference<EnvironmentPodTemplate> template =
      new AtomicReference<>(
          new EnvironmentPodTemplate(
              "img",
              EnvironmentResources.defaults(SizingPolicy.DEFAULT).withInitBoost(1000),
              "us-east-1"));
  private HttpServer apiServer;
  private KubernetesClient client;

  @BeforeEach
  void start() throws IOException {
    apiServer = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    apiServer.createContext(
        "/",
        exchange -> {
          seen.add(
              new Seen(
                  exchange.getRequestMethod(),
                  exchange.getRequestURI().getPath(),
                  exchange.getRequestHeaders().getFirst("Content-Type"),
                  new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)));
          byte[] answer = "{}".getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(status.get(), answer.length);
          exchange.getResponseBody().write(answer);
          exchange.close();
        });
    apiServer.start();
    client =
        new KubernetesClientBuilder()
            .withConfig(
                new ConfigBuilder()
                    .withMasterUrl("http://127.0.0.1:" + apiServer.getAddress().getPort())
                    .build())
            .build();
  }

  @AfterEach
  void stop() {
    client.close();
    apiServer.stop(0);
  }

  @Test
  void theFunctionContainersLimitIsPatchedToItsShareThroughTheResizeSubresource() {
    new InitCpuBoost(client, template).end("team-b", "echo-x7k2p", "72m").join();

    assertThat(seen)
        .singleElement()
        .satisfies(
            request -> {
              assertThat(request.method()).isEqualTo("PATCH");
              assertThat(request.path())
                  .isEqualTo("/api/v1/namespaces/team-b/pods/echo-x7k2p/resize");
              assertThat(request.contentType())
                  .startsWith("application/strategic-merge-patch+json");
              assertThat(request.body())
                  .isEqualTo(
                      "{\"spec\":{\"containers\":[{\"name\":\"function\",\"resources\":{\"limits\":{\"cpu\":\"72m\"}}}]}}");
            });
    assertThat(template.get().resources().initCpuBoostMillis()).isEqualTo(1000);
  }

  @Test
  void aClusterThatRefusesTheResizeGetsNoBoostFromThenOn() {
    status.set(404);

    new InitCpuBoost(client, template).end("default", "echo-abcde", "72m").join();

    assertThat(template.get().resources().initCpuBoostMillis()).isZero();
    assertThat(
            template
                .get()
                .build(EnvironmentPodTemplateTest.ECHO, false)
                .getSpec()
                .getContainers()
                .getFirst()
                .getResources()
                .getLimits()
                .get("cpu")
                .toString())
        .isEqualTo("72m");
  }
}
