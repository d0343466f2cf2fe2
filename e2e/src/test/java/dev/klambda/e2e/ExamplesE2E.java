package dev.klambda.e2e;

import static dev.klambda.e2e.KlambdaCluster.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;

/**
 * The manifests in examples/ work as they are: applied together with the files they need, every
 * resource reports Ready, and the case's check passes. A new example is one more entry in {@link
 * #examples()} (ExamplesCoverageE2E fails while one has none).
 */
@KlambdaE2E
class ExamplesE2E {
  private final KlambdaCluster cluster;
  private final List<GenericKubernetesResource> applied = new ArrayList<>();

  ExamplesE2E(KlambdaCluster cluster) {
    this.cluster = cluster;
  }

  /** What one example is checked with, after everything it applied is Ready. */
  interface Check {
    void check(KlambdaCluster cluster) throws Exception;
  }

  /** Files of examples/ applied in order (the example last, what it needs first), and a check. */
  record Example(String name, List<String> files, Check check) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Example> examples() {
    return Stream.of(
        new Example(
            "echo-provided.yaml",
            List.of("echo-provided.yaml"),
            invokes(
                "echo",
                "{\"hello\":\"world\"}",
                body -> {
                  assertThat(body.path("greeting").asText()).isEqualTo("hello from klambda");
                  assertThat(body.path("event").path("hello").asText()).isEqualTo("world");
                  assertThat(body.path("requestId").asText()).isNotBlank();
                })),
        new Example(
            "java21-hello/function.yaml",
            List.of("java21-hello/function.yaml"),
            invokes(
                "hello-java",
                "{\"name\":\"Ada\"}",
                body -> {
                  assertThat(body.path("message").asText()).isEqualTo("Hello, Ada!");
                  assertThat(body.path("function").asText()).isEqualTo("hello-java");
                  assertThat(body.path("memoryLimitInMB").asInt()).isEqualTo(512);
                })),
        new Example(
            "python-hello/function.yaml",
            List.of("python-hello/function.yaml"),
            invokes(
                "hello-python",
                "{\"name\":\"Ada\"}",
                body -> {
                  assertThat(body.path("message").asText()).isEqualTo("Hello, Ada!");
                  assertThat(body.path("function").asText()).isEqualTo("hello-python");
                  assertThat(body.path("memoryLimitInMB").asInt()).isEqualTo(128);
                })),
        new Example(
            "node-hello/function.yaml",
            List.of("node-hello/function.yaml"),
            invokes(
                "hello-node",
                "{\"name\":\"Ada\"}",
                body -> {
                  assertThat(body.path("message").asText()).isEqualTo("Hello, Ada!");
                  assertThat(body.path("requestId").asText()).isNotBlank();
                  assertThat(body.path("timeLeft").asText())
                      .as("ms, from the code's node_modules")
                      .matches("\\d+(\\.\\d+)?m?s");
                })),
        new Example(
            "hello-url.yaml",
            List.of("hello-url.yaml"),
            cluster -> {
              String url = "/url/" + cluster.namespace() + "/hello-url/";
              JsonNode function =
                  KlambdaCluster.JSON.valueToTree(cluster.get("Function", "hello-url"));
              assertThat(function.at("/status/functionUrl").asText()).endsWith(url);
              try (HttpClient http = HttpClient.newHttpClient()) {
                HttpResponse<String> page =
                    http.send(
                        HttpRequest.newBuilder(
                                URI.create(cluster.gatewayUrl() + url + "some/path?name=Ada"))
                            .timeout(Duration.ofSeconds(90))
                            .build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(page.statusCode()).isEqualTo(200);
                assertThat(page.headers().firstValue("content-type")).hasValue("text/plain");
                assertThat(page.body()).isEqualTo("Hello, Ada! You sent GET /some/path");
              }
            }),
        // the schedule fires at 03:00 Berlin time: here it must be accepted and polling
        new Example(
            "nightly-schedule.yaml",
            List.of("echo-provided.yaml", "nightly-schedule.yaml"),
            cluster -> {
              JsonNode mapping =
                  KlambdaCluster.JSON.valueToTree(
                      cluster.get("EventSourceMapping", "nightly-echo"));
              assertThat(mapping.at("/status/state").asText()).isEqualTo("Enabled");
            }));
  }

  /** Invokes FUNCTION with PAYLOAD through the gateway and checks the JSON answer. */
  static Check invokes(String function, String payload, Consumer<JsonNode> expect) {
    return cluster -> {
      InvokeResponse response = cluster.invoke(function, payload);
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.functionError())
          .as("X-Amz-Function-Error, payload %s", response.payload().asUtf8String())
          .isNull();
      expect.accept(json(response));
    };
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("examples")
  void worksAsItIs(Example example) throws Exception {
    for (String file : example.files()) {
      for (GenericKubernetesResource resource : cluster.example(file)) {
        applied.add(cluster.apply(resource));
      }
    }
    for (GenericKubernetesResource resource : applied) {
      cluster.awaitReady(resource.getKind(), resource.getMetadata().getName());
    }
    example.check().check(cluster);
  }

  @AfterEach
  void deleteWhatWasApplied() {
    for (GenericKubernetesResource resource : applied.reversed()) {
      cluster.delete(resource.getKind(), resource.getMetadata().getName());
    }
  }
}
