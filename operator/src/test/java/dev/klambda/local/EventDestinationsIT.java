package dev.klambda.local;

import static dev.klambda.testing.Manifests.bashRuntime;
import static dev.klambda.testing.Manifests.provided;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.klambda.destinations.SqsClients;
import dev.klambda.testing.LambdaClients;
import dev.klambda.testing.LocalModes;
import dev.klambda.testing.Manifests;
import dev.klambda.testing.PrometheusText;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.elasticmq.NodeAddress;
import org.elasticmq.rest.sqs.SQSRestServer;
import org.elasticmq.rest.sqs.SQSRestServerBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvocationType;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * Event invocations through the Invoke API (the AWS SDK, InvocationType Event) whose invocation
 * records go to their function's destinations: a failing function's to an SQS queue (ElasticMQ in
 * the test JVM, reached with the credentials of a Secret in the manifests), a succeeding one's to a
 * function that writes down what it gets.
 */
class EventDestinationsIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private SQSRestServer server;
  private SqsClient sqs;
  private String endpoint;
  private String failures;
  private Path records;
  private LocalMode local;
  private LambdaClient lambda;

  @BeforeEach
  void start() throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    server =
        SQSRestServerBuilder.withPort(port)
            .withInterface("127.0.0.1")
            .withServerAddress(new NodeAddress("http", "127.0.0.1", port, ""))
            .start();
    server.waitUntilStarted();
    endpoint = "http://127.0.0.1:" + port;
    sqs = SqsClients.of("us-east-1", endpoint, null);
    failures = sqs.createQueue(r -> r.queueName("failed-events")).queueUrl();
    records = Files.createFile(dir.resolve("records.log"));

    Path manifest =
        Manifests.write(
            dir.resolve("functions.yaml"),
            List.of(
                Map.of(
                    "apiVersion",
                    "v1",
                    "kind",
                    "Secret",
                    "metadata",
                    Map.of("name", "sqs-creds", "namespace", "default"),
                    "stringData",
                    Map.of("accessKeyId", "AKIDLOCAL", "secretAccessKey", "local-secret")),
                provided(
                    "failing",
                    bashRuntime("", "  fail \"$1\" Boom \"failing on purpose\""),
                    Map.of(
                        "asyncInvokeConfig",
                        Map.of(
                            "maximumRetryAttempts",
                            1,
                            "destinationConfig",
                            Map.of(
                                "onFailure",
                                Map.of(
                                    "sqs",
                                    Map.of(
                                        "queueUrl",
                                        failures,
                                        "endpoint",
                                        endpoint,
                                        "credentialsSecretRef",
                                        Map.of("name", "sqs-creds"))))))),
                provided(
                    "greeter",
                    bashRuntime("", "  respond \"$1\" '{\"greeting\":\"hi\"}'"),
                    Map.of(
                        "asyncInvokeConfig",
                        Map.of(
                            "destinationConfig",
                            Map.of("onSuccess", Map.of("function", Map.of("name", "recorder")))))),
                provided(
                    "recorder",
                    bashRuntime(
                        "",
                        """
              echo "$2" >> "$RECORDS"
              respond "$1" '{}'
            """),
                    Map.of(
                        "environment",
                        Map.of("variables", Map.of("RECORDS", records.toString()))))));
    local =
        LocalModes.start(
            dir, LocalModes.discarded(), "--async-retry-delay-seconds", "0", manifest.toString());
    lambda = LambdaClients.of(local.gateway().baseUrl());
  }

  @AfterEach
  void stop() {
    lambda.close();
    local.close();
    sqs.close();
    server
        .stopAndGetFuture()
        .apply(); // stopAndWait can wait a minute for pooled keep-alive connections
  }

  private InvokeResponse event(String function, String payload) {
    InvokeResponse accepted =
        lambda.invoke(
            r ->
                r.functionName(function)
                    .invocationType(InvocationType.EVENT)
                    .payload(SdkBytes.fromUtf8String(payload)));
    assertThat(accepted.statusCode()).isEqualTo(202);
    return accepted;
  }

  @Test
  void aDroppedEventsRecordLandsInTheOnFailureQueue() throws Exception {
    String requestId = event("failing", "{\"order\":7}").responseMetadata().requestId();

    List<Message> messages =
        await()
            .atMost(Duration.ofSeconds(60))
            .until(
                () -> sqs.receiveMessage(r -> r.queueUrl(failures).waitTimeSeconds(1)).messages(),
                m -> !m.isEmpty());

    JsonNode record = JSON.readTree(messages.getFirst().body());
    assertThat(record.get("version").asText()).isEqualTo("1.0");
    assertThat(record.get("requestContext"))
        .isEqualTo(
            JSON.readTree(
                """
        {"requestId":"%s","functionArn":"arn:aws:lambda:us-east-1:default:function:failing:$LATEST",
         "condition":"RetriesExhausted","approximateInvokeCount":2}"""
                    .formatted(requestId)));
    assertThat(record.get("requestPayload")).isEqualTo(JSON.readTree("{\"order\":7}"));
    assertThat(record.get("responseContext"))
        .isEqualTo(
            JSON.readTree(
                """
        {"statusCode":200,"executedVersion":"$LATEST","functionError":"Unhandled"}"""));
    assertThat(record.at("/responsePayload/errorType").asText()).isEqualTo("Boom");
    assertThat(record.at("/responsePayload/errorMessage").asText()).isEqualTo("failing on purpose");
    assertThat(metric("failing", "onFailure", "sent")).isEqualTo(1.0);
  }

  @Test
  void aSucceededEventsRecordReachesTheOnSuccessFunction() throws Exception {
    String requestId = event("greeter", "{\"name\":\"Ada\"}").responseMetadata().requestId();

    List<String> received =
        await()
            .atMost(Duration.ofSeconds(60))
            .until(() -> Files.readAllLines(records), lines -> !lines.isEmpty());

    JsonNode record = JSON.readTree(received.getFirst());
    assertThat(record.at("/requestContext/requestId").asText()).isEqualTo(requestId);
    assertThat(record.at("/requestContext/functionArn").asText())
        .isEqualTo("arn:aws:lambda:us-east-1:default:function:greeter:$LATEST");
    assertThat(record.at("/requestContext/condition").asText()).isEqualTo("Success");
    assertThat(record.at("/requestContext/approximateInvokeCount").asInt()).isEqualTo(1);
    assertThat(record.get("requestPayload")).isEqualTo(JSON.readTree("{\"name\":\"Ada\"}"));
    assertThat(record.get("responseContext").has("functionError")).isFalse();
    assertThat(record.get("responsePayload")).isEqualTo(JSON.readTree("{\"greeting\":\"hi\"}"));
    assertThat(metric("greeter", "onSuccess", "sent")).isEqualTo(1.0);
  }

  private double metric(String function, String destination, String result) throws Exception {
    HttpResponse<String> scrape =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(local.metricsUrl())).build(),
                HttpResponse.BodyHandlers.ofString());
    return PrometheusText.value(
        PrometheusText.parse(scrape.body()),
        "klambda_async_destination_records_total",
        Map.of("function", function, "destination", destination, "result", result));
  }
}
