package dev.klambda.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.klambda.testing.LocalModes;
import dev.klambda.testing.Manifests;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Function URLs through local mode: plain HTTP in, the payload format 2.0 event to a java21 handler
 * run by AWS's runtime interface client, its statusCode answer back out; CORS preflights answered
 * by the gateway.
 */
class FunctionUrlIT {
  private final HttpClient http = HttpClient.newHttpClient();
  private LocalMode local;
  private String base;

  @BeforeEach
  void start(@TempDir Path dir) throws Exception {
    Path manifest =
        Manifests.write(
            dir.resolve("functions.yaml"),
            List.of(
                Manifests.java21(
                    "web",
                    "dev.klambda.testfunctions.HttpHandler",
                    Manifests.testFunctionsJar(),
                    Map.of(
                        "url",
                        Map.of(
                            "cors",
                            Map.of(
                                "allowOrigins",
                                List.of("https://app.example.com"),
                                "allowMethods",
                                List.of("GET", "POST"),
                                "allowHeaders",
                                List.of("content-type"),
                                "exposeHeaders",
                                List.of("x-handled-by"),
                                "maxAge",
                                600)))),
                Manifests.provided(
                    "plain",
                    Manifests.bashRuntime("", "  respond \"$1\" '{\"hello\":\"world\"}'"),
                    Map.of("url", Map.of())),
                Manifests.provided(
                    "no-url", Manifests.bashRuntime("", "  respond \"$1\" '{}'"), Map.of()),
                Manifests.provided(
                    "closed",
                    Manifests.bashRuntime("", "  respond \"$1\" '{}'"),
                    Map.of("url", Map.of(), "reservedConcurrency", 0))));
    local = LocalModes.start(dir, LocalModes.discarded(), manifest.toString());
    base = local.gateway().baseUrl();
  }

  @AfterEach
  void stop() {
    local.close();
  }

  private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void anHttpRequestBecomesTheEventAndTheStatusCodeObjectTheResponse() throws Exception {
    HttpResponse<String> response =
        send(
            HttpRequest.newBuilder(URI.create(base + "/url/default/web/orders/42?x=1&x=2"))
                .header("Accept", "text/plain")
                .header("Cookie", "a=1; b=2")
                .header("Content-Type", "application/json")
                .header("Origin", "https://app.example.com")
                .POST(HttpRequest.BodyPublishers.ofString("{\"item\":\"book\"}")));

    assertThat(response.statusCode()).isEqualTo(201);
    assertThat(response.body())
        .isEqualTo(
            "POST /orders/42 x=1,2 cookies=[a=1, b=2] accept=text/plain base64=false "
                + "body={\"item\":\"book\"} version=2.0 stage=$default");
    assertThat(response.headers().firstValue("content-type")).hasValue("text/plain");
    assertThat(response.headers().firstValue("x-handled-by")).hasValue("web");
    assertThat(response.headers().allValues("set-cookie"))
        .containsExactlyInAnyOrder("session=abc; Path=/", "theme=dark");
    assertThat(response.headers().firstValue("access-control-allow-origin"))
        .hasValue("https://app.example.com");
    assertThat(response.headers().firstValue("access-control-expose-headers"))
        .hasValue("x-handled-by");
  }

  @Test
  void aBinaryBodyArrivesBase64EncodedAndAHostNameRoutesToo() throws Exception {
    // a raw request: Java's HttpClient will not send a Host header of its own choosing
    URI uri = URI.create(base);
    try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
      socket
          .getOutputStream()
          .write(
              ("PUT /upload HTTP/1.1\r\nHost: web.default.lambda-url.example.com\r\n"
                      + "Content-Type: application/octet-stream\r\nContent-Length: 3\r\nConnection: close\r\n\r\n")
                  .getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().write(new byte[] {1, 2, 3});
      String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

      assertThat(response).startsWith("HTTP/1.1 201");
      assertThat(response)
          .contains("PUT /upload x=null cookies=null")
          .contains("base64=true body=AQID ");
    }
  }

  @Test
  void aFunctionUrlHostNeverReachesTheInvokeApi() throws Exception {
    URI uri = URI.create(base);
    try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
      socket
          .getOutputStream()
          .write(
              ("POST /2015-03-31/functions/no-url/invocations HTTP/1.1\r\n"
                      + "Host: web.default.lambda-url.example.com\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
                  .getBytes(StandardCharsets.US_ASCII));
      String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

      // the 'web' function's URL answered, with the path as its rawPath; 'no-url' was not invoked
      assertThat(response)
          .startsWith("HTTP/1.1 201")
          .contains("POST /2015-03-31/functions/no-url/invocations x=null");
    }
  }

  @Test
  void jsonWithoutAStatusCodeIsA200JsonBody() throws Exception {
    HttpResponse<String> response =
        send(HttpRequest.newBuilder(URI.create(base + "/url/default/plain/")).GET());

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
    assertThat(response.body()).isEqualTo("{\"hello\":\"world\"}");
  }

  @Test
  void preflightsAreAnsweredWithoutTheFunction() throws Exception {
    HttpResponse<String> allowed =
        send(
            HttpRequest.newBuilder(URI.create(base + "/url/default/web/orders"))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", "https://app.example.com")
                .header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "Content-Type"));
    HttpResponse<String> refused =
        send(
            HttpRequest.newBuilder(URI.create(base + "/url/default/web/orders"))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", "https://evil.example.com")
                .header("Access-Control-Request-Method", "POST"));

    assertThat(allowed.statusCode()).isEqualTo(200);
    assertThat(allowed.headers().firstValue("access-control-allow-origin"))
        .hasValue("https://app.example.com");
    assertThat(allowed.headers().firstValue("access-control-allow-methods")).hasValue("GET,POST");
    assertThat(allowed.headers().firstValue("access-control-max-age")).hasValue("600");
    assertThat(refused.statusCode()).isEqualTo(200);
    assertThat(refused.headers().firstValue("access-control-allow-origin")).isEmpty();
  }

  @Test
  void errorsAreLambdasFunctionUrlErrors() throws Exception {
    HttpResponse<String> failed =
        send(HttpRequest.newBuilder(URI.create(base + "/url/default/web/fail")).GET());
    HttpResponse<String> noUrl =
        send(HttpRequest.newBuilder(URI.create(base + "/url/default/no-url/")).GET());
    HttpResponse<String> missing =
        send(HttpRequest.newBuilder(URI.create(base + "/url/default/nobody/")).GET());

    assertThat(failed.statusCode()).isEqualTo(502);
    assertThat(failed.body()).isEqualTo("{\"Message\":\"Internal Server Error\"}");
    assertThat(noUrl.statusCode()).isEqualTo(404);
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(missing.body()).isEqualTo("{\"Message\":\"Not Found\"}");

    HttpResponse<String> throttled =
        send(HttpRequest.newBuilder(URI.create(base + "/url/default/closed/")).GET());
    assertThat(throttled.statusCode()).isEqualTo(429);
    assertThat(throttled.body()).isEqualTo("{\"Message\":\"Rate Exceeded.\"}");
    HttpResponse<String> tooLong =
        send(
            HttpRequest.newBuilder(URI.create(base + "/url/default/plain/"))
                .POST(HttpRequest.BodyPublishers.ofString("x".repeat(6 * 1024 * 1024 + 1))));
    assertThat(tooLong.statusCode()).isEqualTo(413);
    assertThat(tooLong.body()).isEqualTo("{\"Message\":\"Request Too Long\"}");
  }
}
