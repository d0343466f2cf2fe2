package dev.klambda.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.klambda.testing.LambdaClients;
import dev.klambda.testing.LocalModes;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;

/** The README's first command: every manifest in examples/ loads, and each example answers. */
class ExamplesIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final ByteArrayOutputStream errors = new ByteArrayOutputStream();
  private LocalMode local;
  private LambdaClient lambda;

  @BeforeEach
  void start(@TempDir Path dir) throws Exception {
    local =
        LocalModes.start(
            dir,
            LocalModes.discarded(),
            new PrintStream(errors, true, StandardCharsets.UTF_8),
            "../examples");
    lambda = LambdaClients.of(local.gateway().baseUrl());
  }

  @AfterEach
  void stop() {
    lambda.close();
    local.close();
  }

  private JsonNode invoke(String function, String payload) throws Exception {
    InvokeResponse response =
        lambda.invoke(r -> r.functionName(function).payload(SdkBytes.fromUtf8String(payload)));
    assertThat(response.functionError()).as(function + " answers without an error").isNull();
    return JSON.readTree(response.payload().asUtf8String());
  }

  @Test
  void everyExampleLoadsAndAnswers() throws Exception {
    String noNode = NodeRuntimeAvailability.unavailableReason();
    if (noNode == null) {
      assertThat(errors.toString(StandardCharsets.UTF_8))
          .as("nothing in examples/ was skipped")
          .isEmpty();
      JsonNode node = invoke("hello-node", "{\"name\":\"Ada\"}");
      assertThat(node.get("message").asText()).isEqualTo("Hello, Ada!");
      assertThat(node.get("timeLeft").asText())
          .as("ms, from the code's node_modules")
          .matches("\\d+(\\.\\d+)?m?s");
    } else {
      System.out.println("ExamplesIT: examples/node-hello skipped: " + noNode);
      assertThat(
              errors
                  .toString(StandardCharsets.UTF_8)
                  .lines()
                  .filter(line -> !line.contains("hello-node")))
          .as("nothing else in examples/ was skipped")
          .isEmpty();
    }

    assertThat(invoke("echo", "{\"hi\":1}").get("event").get("hi").asInt()).isEqualTo(1);
    JsonNode hello = invoke("hello-java", "{\"name\":\"Ada\"}");
    assertThat(hello.get("message").asText()).isEqualTo("Hello, Ada!");
    assertThat(hello.get("memoryLimitInMB").asInt()).isEqualTo(512);
    JsonNode python = invoke("hello-python", "{\"name\":\"Ada\"}");
    assertThat(python.get("message").asText()).isEqualTo("Hello, Ada!");
    assertThat(python.get("function").asText()).isEqualTo("hello-python");

    HttpResponse<String> page =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create(
                            local.gateway().baseUrl()
                                + "/url/default/hello-url/some/path?name=Ada"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("content-type")).hasValue("text/plain");
    assertThat(page.body()).isEqualTo("Hello, Ada! You sent GET /some/path");
  }
}
