package dev.klambda.local;

import static dev.klambda.testing.Manifests.bashRuntime;
import static dev.klambda.testing.Manifests.provided;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.klambda.testing.LambdaClients;
import dev.klambda.testing.LocalModes;
import dev.klambda.testing.Manifests;
import dev.klambda.testing.PrometheusText;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;
import software.amazon.awssdk.services.lambda.model.LogType;

/** Local mode with {@code --warm-pool}: members are agent processes, claimed by cold starts. */
class LocalWarmPoolIT {
  @TempDir Path dir;

  @Test
  void aColdStartClaimsAPooledProcessAndThePoolRefills() throws Exception {
    Path manifest =
        Manifests.write(
            dir.resolve("f.yaml"),
            List.of(
                provided(
                    "echo",
                    bashRuntime(
                        "",
                        "  respond \"$1\" \"{\\\"function\\\":\\\"$AWS_LAMBDA_FUNCTION_NAME\\\"}\""),
                    Map.of())));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (LocalMode local =
            LocalModes.start(
                dir,
                new PrintStream(out, true, StandardCharsets.UTF_8),
                "--warm-pool",
                "provided/128=1",
                manifest.toString());
        LambdaClient lambda = LambdaClients.of(local.gateway().baseUrl())) {
      await().atMost(Duration.ofSeconds(20)).until(() -> pooled(local) == 1.0);

      InvokeResponse response =
          lambda.invoke(
              r ->
                  r.functionName("echo")
                      .logType(LogType.TAIL)
                      .payload(SdkBytes.fromUtf8String("{}")));

      assertThat(response.payload().asUtf8String()).isEqualTo("{\"function\":\"echo\"}");
      assertThat(
              new String(
                  java.util.Base64.getDecoder().decode(response.logResult()),
                  StandardCharsets.UTF_8))
          .contains("Init Duration:");
      await().atMost(Duration.ofSeconds(20)).until(() -> pooled(local) == 1.0);
      assertThat(out.toString(StandardCharsets.UTF_8))
          .as("the claimed member logs as the function's")
          .containsPattern("\\[default/echo [0-9a-f]{8}\\] REPORT RequestId");
    }
  }

  private static double pooled(LocalMode local) throws Exception {
    String text =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(local.metricsUrl())).build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    return PrometheusText.value(
        PrometheusText.parse(text),
        "klambda_environments",
        Map.of("function", "", "state", "pooled"));
  }
}
