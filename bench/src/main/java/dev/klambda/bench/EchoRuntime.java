package dev.klambda.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;

/**
 * The benchmark's trivial handler as a persistent {@code provided} runtime: one JVM that speaks the
 * Lambda Runtime API in a loop (GET .../invocation/next, POST .../{id}/response) over one
 * keep-alive connection of java.net.http, forking nothing per event. It answers {@code {"env":"<log
 * stream>","event":<the event>}}; the log stream name (function/agent pid) tells the harness which
 * environment answered. An event that begins {@code {"holdMillis":N}} is answered after N ms (the
 * harness's way to keep environments busy while it starts more).
 */
public final class EchoRuntime {
  private static final String HOLD = "{\"holdMillis\":";

  private EchoRuntime() {}

  /** An event that this runtime answers after {@code millis}. */
  static byte[] hold(int millis) {
    return (HOLD + millis + "}").getBytes(StandardCharsets.UTF_8);
  }

  public static void main(String[] args) throws InterruptedException {
    String api = System.getenv("AWS_LAMBDA_RUNTIME_API");
    String base = "http://" + api + "/2018-06-01/runtime/invocation/";
    String environment = System.getenv().getOrDefault("AWS_LAMBDA_LOG_STREAM_NAME", "unknown");
    byte[] prefix =
        ("{\"env\":\"" + environment + "\",\"event\":").getBytes(StandardCharsets.UTF_8);
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HttpRequest next = HttpRequest.newBuilder(URI.create(base + "next")).GET().build();
    while (true) {
      HttpResponse<byte[]> event;
      try {
        event = http.send(next, HttpResponse.BodyHandlers.ofByteArray());
      } catch (IOException gone) {
        // the agent stopped (or stops us): nothing more to do
        System.exit(0);
        return;
      }
      if (event.statusCode() != 200) {
        System.err.println("echo runtime: /next answered " + event.statusCode());
        System.exit(1);
      }
      String requestId = event.headers().firstValue("Lambda-Runtime-Aws-Request-Id").orElseThrow();
      byte[] payload = event.body();
      holdIfAsked(payload);
      byte[] answer = new byte[prefix.length + payload.length + 1];
      System.arraycopy(prefix, 0, answer, 0, prefix.length);
      System.arraycopy(payload, 0, answer, prefix.length, payload.length);
      answer[answer.length - 1] = '}';
      try {
        http.send(
            HttpRequest.newBuilder(URI.create(base + requestId + "/response"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(answer))
                .build(),
            HttpResponse.BodyHandlers.discarding());
      } catch (IOException gone) {
        System.exit(0);
      }
    }
  }

  private static void holdIfAsked(byte[] payload) throws InterruptedException {
    String event = new String(payload, 0, Math.min(payload.length, 32), StandardCharsets.US_ASCII);
    if (event.startsWith(HOLD)) {
      Thread.sleep(Long.parseLong(event.substring(HOLD.length(), event.indexOf('}'))));
    }
  }
}
