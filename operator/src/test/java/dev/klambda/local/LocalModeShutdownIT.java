package dev.klambda.local;

import static dev.klambda.testing.Manifests.bashRuntime;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.klambda.testing.Manifests;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** klambda.jar as a user runs it: SIGTERM (Ctrl-C) lets in-flight work finish, then shuts down. */
class LocalModeShutdownIT {
  private static final Pattern SERVING =
      Pattern.compile("serving \\d+ function\\(s\\) on (http://\\S+)");

  /** Registers for INVOKE and SHUTDOWN and writes every event type it gets to $EVENTS. */
  private static final String RECORDING_EXTENSION =
      """
      #!/bin/bash
      api="http://${AWS_LAMBDA_RUNTIME_API}/2020-01-01/extension"
      headers="$(mktemp)"
      curl -sS -D "$headers" -X POST "$api/register" -H "Lambda-Extension-Name: recorder" \\
        -d '{"events":["INVOKE","SHUTDOWN"]}' > /dev/null
      id="$(grep -Fi Lambda-Extension-Identifier "$headers" | tr -d '[:space:]' | cut -d: -f2)"
      while true; do
        event="$(curl -sS "$api/event/next" -H "Lambda-Extension-Identifier: $id")"
        type="$(echo "$event" | grep -o '"eventType":"[A-Z]*"' | cut -d'"' -f4)"
        echo "$type" >> "$EVENTS"
        if [[ "$type" == SHUTDOWN ]]; then exit 0; fi
      done
      """;

  @TempDir Path dir;
  private Process klambda;
  private Thread outputReader;
  private final List<String> output = new CopyOnWriteArrayList<>();

  @AfterEach
  void killLeftovers() {
    if (klambda != null) {
      klambda.descendants().forEach(ProcessHandle::destroyForcibly);
      klambda.destroyForcibly();
    }
  }

  @Test
  void sigtermLetsTheInFlightInvocationFinishAndShutsEnvironmentsDown() throws Exception {
    Path events = dir.resolve("events.log");
    Map<String, Object> slow =
        Manifests.function(
            "slow",
            Map.of(
                "runtime",
                "provided",
                "timeoutSeconds",
                10,
                "environment",
                Map.of("variables", Map.of("EVENTS", events.toString())),
                "code",
                Map.of(
                    "inline",
                    Map.of(
                        "files",
                        Map.of(
                            "bootstrap",
                            bashRuntime("", "  sleep 2\n  respond \"$1\" '{\"finished\":true}'"),
                            "extensions/recorder",
                            RECORDING_EXTENSION)))));
    Path manifest = Manifests.write(dir.resolve("slow.yaml"), List.of(slow));
    String baseUrl = startKlambda(manifest);

    HttpClient http = HttpClient.newHttpClient();
    CompletableFuture<HttpResponse<String>> inFlight =
        http.sendAsync(
            HttpRequest.newBuilder(URI.create(baseUrl + "/2015-03-31/functions/slow/invocations"))
                .POST(HttpRequest.BodyPublishers.ofString("{}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> output.stream().anyMatch(l -> l.contains("START RequestId")));
    List<ProcessHandle> environments = klambda.descendants().toList();

    klambda
        .toHandle()
        .destroy(); // SIGTERM, and keeps reading its output (Process.destroy closes it)

    HttpResponse<String> response = inFlight.get(20, TimeUnit.SECONDS);
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("{\"finished\":true}");
    assertThat(klambda.waitFor(20, TimeUnit.SECONDS)).isTrue();
    outputReader.join(5000);
    assertThat(output).contains("klambda: stopped");
    assertThat(environments).noneMatch(ProcessHandle::isAlive);
    assertThat(Files.readAllLines(events)).containsExactly("INVOKE", "SHUTDOWN");
  }

  private String startKlambda(Path manifest) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    klambda =
        new ProcessBuilder(
                java,
                "-jar",
                "target/klambda.jar",
                "local",
                "--port",
                "0",
                "--metrics-port",
                "0",
                "--work-dir",
                dir.resolve("work").toString(),
                "--usage-file",
                dir.resolve("usage.json").toString(),
                manifest.toString())
            .redirectErrorStream(true)
            .start();
    CompletableFuture<String> baseUrl = new CompletableFuture<>();
    outputReader =
        Thread.ofVirtual()
            .start(
                () -> {
                  try (BufferedReader lines =
                      new BufferedReader(
                          new InputStreamReader(
                              klambda.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = lines.readLine()) != null) {
                      output.add(line);
                      Matcher serving = SERVING.matcher(line);
                      if (serving.find()) {
                        baseUrl.complete(serving.group(1));
                      }
                    }
                  } catch (Exception e) {
                    baseUrl.completeExceptionally(e);
                  }
                  baseUrl.completeExceptionally(
                      new IllegalStateException("klambda exited: " + output));
                });
    return baseUrl.get(30, TimeUnit.SECONDS);
  }
}
