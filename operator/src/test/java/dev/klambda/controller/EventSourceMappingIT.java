package dev.klambda.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.klambda.api.EventSourceMapping;
import dev.klambda.api.Function;
import dev.klambda.testing.Manifests;
import dev.klambda.testing.MockCluster;
import dev.klambda.testing.RunningKlambda;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.elasticmq.NodeAddress;
import org.elasticmq.rest.sqs.SQSRestServer;
import org.elasticmq.rest.sqs.SQSRestServerBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * EventSourceMappings on the mock API server: state and conditions as the operator reports them.
 */
class EventSourceMappingIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private MockCluster cluster;
  private RunningKlambda operator;

  @BeforeEach
  void start() throws Exception {
    cluster = new MockCluster();
    operator = cluster.startOperator();
    cluster
        .client()
        .resource(
            JSON.convertValue(
                Manifests.provided("report", "#!/bin/sh\nexec sleep 1000\n", Map.of()),
                Function.class))
        .inNamespace("default")
        .create();
  }

  @AfterEach
  void stop() {
    operator.close();
    cluster.close();
  }

  private void apply(
      String name, String function, Map<String, Object> source, Map<String, Object> extra) {
    Map<String, Object> spec = new LinkedHashMap<>(extra);
    spec.put("functionName", function);
    spec.put("source", source);
    Map<String, Object> manifest =
        Map.of(
            "apiVersion",
            "klambda.dev/v1alpha1",
            "kind",
            "EventSourceMapping",
            "metadata",
            Map.of("name", name),
            "spec",
            spec);
    cluster
        .client()
        .resource(JSON.convertValue(manifest, EventSourceMapping.class))
        .inNamespace("default")
        .create();
  }

  private EventSourceMapping mapping(String name) {
    return cluster
        .client()
        .resources(EventSourceMapping.class)
        .inNamespace("default")
        .withName(name)
        .get();
  }

  private Condition awaitCondition(String name, String type, String status) {
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> {
              EventSourceMapping m = mapping(name);
              return m.getStatus() != null
                  && m.getStatus().getConditions().stream()
                      .anyMatch(c -> c.getType().equals(type) && c.getStatus().equals(status));
            });
    assertThat(mapping(name).getStatus().getConditions())
        .as("one condition of each type")
        .extracting(Condition::getType)
        .containsExactly("Ready", "Invalid");
    return mapping(name).getStatus().getConditions().stream()
        .filter(c -> c.getType().equals(type))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void aScheduleIsEnabledAndCanBeDisabledAndEnabledAgain() {
    apply(
        "nightly",
        "report",
        Map.of("schedule", Map.of("expression", "cron(0 3 * * ? *)")),
        Map.of());

    assertThat(awaitCondition("nightly", "Ready", "True").getMessage())
        .isEqualTo("Polling schedule cron(0 3 * * ? *)");
    assertThat(mapping("nightly").getStatus().getState()).isEqualTo("Enabled");

    cluster
        .client()
        .resources(EventSourceMapping.class)
        .inNamespace("default")
        .withName("nightly")
        .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"enabled\":false}}");
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> "Disabled".equals(mapping("nightly").getStatus().getState()));

    cluster
        .client()
        .resources(EventSourceMapping.class)
        .inNamespace("default")
        .withName("nightly")
        .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"enabled\":true}}");
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> "Enabled".equals(mapping("nightly").getStatus().getState()));
  }

  @Test
  void badSpecsAreRefusedWithClearMessages() {
    apply(
        "two-sources",
        "report",
        Map.of(
            "schedule",
            Map.of("expression", "rate(1 day)"),
            "sqs",
            Map.of("queueUrl", "http://localhost:9324/queue/q")),
        Map.of());
    apply(
        "empty-batches",
        "report",
        Map.of("schedule", Map.of("expression", "rate(1 day)")),
        Map.of("batchSize", 0));
    apply("orphan", "nobody", Map.of("schedule", Map.of("expression", "rate(1 day)")), Map.of());

    assertThat(awaitCondition("two-sources", "Invalid", "True").getMessage())
        .isEqualTo("spec.source: must set exactly one of sqs, kafka and schedule (got 2)");
    assertThat(awaitCondition("empty-batches", "Invalid", "True").getMessage())
        .isEqualTo("spec.batchSize: must be between 1 and 10000 (got 0)");
    assertThat(awaitCondition("orphan", "Ready", "False").getMessage())
        .isEqualTo(
            "spec.functionName: Function not found: arn:aws:lambda:us-east-1:default:function:nobody");
    assertThat(mapping("orphan").getStatus().getState()).isEqualTo("Failed");
  }

  @Test
  void aMappingWaitsForItsFunction() {
    apply("early", "later", Map.of("schedule", Map.of("expression", "rate(1 hour)")), Map.of());
    awaitCondition("early", "Ready", "False");

    cluster
        .client()
        .resource(
            JSON.convertValue(
                Manifests.provided("later", "#!/bin/sh\nexec sleep 1000\n", Map.of()),
                Function.class))
        .inNamespace("default")
        .create();

    awaitCondition("early", "Ready", "True");
  }

  @Test
  void aMappingWaitsForItsSecretAndRefusesOneWithWrongKeys() {
    Map<String, Object> kafka =
        Map.of(
            "kafka",
            Map.of(
                "bootstrapServers",
                "127.0.0.1:1",
                "topic",
                "orders",
                "authSecretRef",
                Map.of("name", "broker")));
    apply("orders", "report", kafka, Map.of());
    // FunctionMissing first, while the function's own reconcile has not run yet
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> "SecretMissing".equals(awaitCondition("orders", "Ready", "False").getReason()));
    Condition waiting = awaitCondition("orders", "Ready", "False");
    assertThat(waiting.getMessage())
        .isEqualTo("spec.source.kafka.authSecretRef: no Secret default/broker");

    cluster
        .client()
        .secrets()
        .inNamespace("default")
        .resource(
            new io.fabric8.kubernetes.api.model.SecretBuilder()
                .withNewMetadata()
                .withName("broker")
                .endMetadata()
                .withStringData(
                    Map.of("saslMechanism", "PLAIN", "username", "alice", "password", "s3cret"))
                .build())
        .create();
    assertThat(awaitCondition("orders", "Ready", "True").getMessage())
        .isEqualTo("Polling topic orders");

    apply(
        "queue",
        "report",
        Map.of(
            "sqs",
            Map.of(
                "queueUrl",
                "http://127.0.0.1:1/000000000000/q",
                "credentialsSecretRef",
                Map.of("name", "broker"))),
        Map.of());
    assertThat(awaitCondition("queue", "Invalid", "True").getMessage())
        .isEqualTo(
            "spec.source.sqs.credentialsSecretRef: "
                + "Secret broker has an unknown key password (allowed: [accessKeyId, secretAccessKey, sessionToken])");
  }

  @Test
  void anSqsQueueWithAVisibilityTimeoutShorterThanTheFunctionsIsInvalidUntilItIsRaised()
      throws Exception {
    cluster
        .client()
        .resource(
            JSON.convertValue(
                Manifests.provided(
                    "slow", "#!/bin/sh\nexec sleep 1000\n", Map.of("timeoutSeconds", 10)),
                Function.class))
        .inNamespace("default")
        .create();
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    SQSRestServer server =
        SQSRestServerBuilder.withPort(port)
            .withInterface("127.0.0.1")
            .withServerAddress(new NodeAddress("http", "127.0.0.1", port, ""))
            .start();
    server.waitUntilStarted();
    String endpoint = "http://127.0.0.1:" + port;
    try (SqsClient sqs =
        SqsClient.builder()
            .region(Region.US_EAST_1)
            .endpointOverride(URI.create(endpoint))
            .credentialsProvider(AnonymousCredentialsProvider.create())
            .httpClient(UrlConnectionHttpClient.create())
            .build()) {
      String queue =
          sqs.createQueue(
                  r ->
                      r.queueName("short")
                          .attributes(Map.of(QueueAttributeName.VISIBILITY_TIMEOUT, "2")))
              .queueUrl();
      apply(
          "short",
          "slow",
          Map.of("sqs", Map.of("queueUrl", queue, "endpoint", endpoint, "region", "us-east-1")),
          Map.of());

      assertThat(awaitCondition("short", "Invalid", "True").getMessage())
          .isEqualTo(
              "spec.source.sqs.queueUrl: "
                  + "Queue visibility timeout: 2 seconds is less than Function timeout: 10 seconds (the queue's "
                  + "VisibilityTimeout must be at least the Function's timeoutSeconds)");
      assertThat(operator.polls("default/short")).isFalse();

      // not a change of the mapping: the reconciler judges it again on its own
      sqs.setQueueAttributes(
          r -> r.queueUrl(queue).attributes(Map.of(QueueAttributeName.VISIBILITY_TIMEOUT, "10")));
      assertThat(awaitCondition("short", "Ready", "True").getMessage())
          .isEqualTo("Polling queue " + queue);
      assertThat(awaitCondition("short", "Invalid", "False").getMessage()).isEmpty();
      // its pollers stop before the queue does, not in the middle of a receive
      cluster
          .client()
          .resources(EventSourceMapping.class)
          .inNamespace("default")
          .withName("short")
          .delete();
      await().atMost(Duration.ofSeconds(30)).until(() -> !operator.polls("default/short"));
    } finally {
      server.stopAndGetFuture().apply();
    }
  }
}
