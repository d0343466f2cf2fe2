package dev.klambda.e2e;

import static dev.klambda.testing.PrometheusText.value;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.klambda.testing.InvocationLoad;
import dev.klambda.testing.Manifests;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.LocalPortForward;
import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvocationType;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;

/**
 * The chart's two gateway replicas: each holds its Lease and serves every function (one routes it,
 * the other runs it on environments lent to it or forwards), a limit holds across both, Events'
 * records reach their destinations through either, and deleting a gateway Pod or rolling the
 * Deployment under load loses no request. Requests go to a Running, Ready gateway Pod picked per
 * request, as the Service's endpoints would pick one.
 */
@KlambdaE2E
class GatewayReplicasE2E {
  private static final String SLOW_ECHO =
      Manifests.bashRuntime(
          "",
          """
        sleep 0.2
        respond "$1" "$2"
      """);

  /** Prints each event to the function's output, which the agent's log carries. */
  private static final String RECORDER =
      Manifests.bashRuntime(
          "",
          """
        sleep 0.3
        echo "recorded $2"
        respond "$1" "{}"
      """);

  private final KlambdaCluster cluster;
  private final Map<String, LocalPortForward> forwards = new ConcurrentHashMap<>();
  private final Map<String, LambdaClient> clients = new ConcurrentHashMap<>();
  private final List<String> functions = new ArrayList<>();

  GatewayReplicasE2E(KlambdaCluster cluster) {
    this.cluster = cluster;
  }

  @Test
  void eachReplicaHoldsItsLeaseAndServesEveryFunction() {
    deploy("replicated", Map.of());
    List<Pod> gateways = awaitGateways();
    for (Pod gateway : gateways) {
      Lease lease =
          cluster
              .client()
              .leases()
              .inNamespace(cluster.namespace())
              .withName("klambda-gateway-" + gateway.getMetadata().getName())
              .get();
      assertThat(lease).as("the Lease of " + gateway.getMetadata().getName()).isNotNull();
      assertThat(lease.getMetadata().getAnnotations()).containsKey("klambda.dev/url");
      InvokeResponse response = invoke(through(gateway), "replicated", 1);
      assertThat(response.functionError()).as(response.payload().asUtf8String()).isNull();
    }
    assertThat(cluster.environments("replicated"))
        .as("one environment, reused through both replicas")
        .hasSize(1);
  }

  @Test
  void theReplicaThatDoesNotRouteAFunctionRunsItOnEnvironmentsLentToIt() {
    deploy("borrowed", Map.of("idleTimeoutSeconds", 60));
    int perReplica = 10;
    for (Pod gateway : awaitGateways()) {
      for (int n = 0; n < perReplica; n++) {
        assertThat(invoke(through(gateway), "borrowed", n).payload().asUtf8String())
            .isEqualTo("{\"n\":" + n + "}");
      }
    }
    Map<String, String> borrowed = Map.of("namespace", cluster.namespace(), "function", "borrowed");
    int total = perReplica * KlambdaCluster.GATEWAY_REPLICAS;
    await("klambda_invocations_total of borrowed")
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> value(cluster.scrapeMetrics(), "klambda_invocations_total", borrowed) >= total);
    assertThat(value(cluster.scrapeMetrics(), "klambda_forwarded_invocations_total", borrowed))
        .as("after the first, invocations at the other replica run on a loan, not forwarded")
        .isLessThanOrEqualTo(2);
    assertThat(cluster.environments("borrowed"))
        .as("one environment, lent back and forth")
        .hasSize(1);
  }

  @Test
  void reservedConcurrencyHoldsAcrossReplicas() throws Exception {
    // queueing at the limit: every caller is answered, and the limit is what is measured
    deploy("capped", Map.of("reservedConcurrency", 2, "queueAtLimit", true));
    awaitGateways();
    AtomicInteger mostEnvironments = new AtomicInteger();
    InvocationLoad load = load("capped", 6);
    Instant end = Instant.now().plusSeconds(15);
    while (Instant.now().isBefore(end)) {
      mostEnvironments.accumulateAndGet(cluster.environments("capped").size(), Math::max);
      Thread.sleep(200);
    }
    load.stop();
    assertThat(load.answered.get()).isGreaterThan(10);
    assertThat(mostEnvironments.get())
        .as("environments with reservedConcurrency 2, load through both replicas")
        .isBetween(1, 2);
  }

  @Test
  void theEventsOfAGatewayPodKilledWithoutWarningAllRun() {
    functions.add("recorder");
    cluster.apply(Manifests.provided("recorder", RECORDER, Map.of("reservedConcurrency", 1)));
    cluster.awaitReady("Function", "recorder");
    Pod victim = awaitGateways().getFirst();
    LambdaClient viaVictim = through(victim);
    int events = 20;
    for (int n = 0; n < events; n++) {
      String payload = "{\"n\":" + n + "}";
      assertThat(
              viaVictim
                  .invoke(
                      r ->
                          r.functionName("recorder")
                              .invocationType(InvocationType.EVENT)
                              .payload(SdkBytes.fromUtf8String(payload)))
                  .statusCode())
          .isEqualTo(202);
    }
    // no preStop, no SIGTERM grace: the replica and the events in its memory are gone at once
    cluster.client().pods().resource(victim).withGracePeriod(0).delete();

    await("every accepted event run, at least once")
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofSeconds(2))
        .untilAsserted(
            () -> {
              String logs =
                  cluster.environments("recorder").stream()
                      .map(
                          pod ->
                              cluster
                                  .client()
                                  .pods()
                                  .inNamespace(cluster.namespace())
                                  .withName(pod.getMetadata().getName())
                                  .inContainer("agent")
                                  .getLog())
                      .reduce("", String::concat);
              for (int n = 0; n < events; n++) {
                assertThat(logs).contains("recorded {\"n\":" + n + "}");
              }
            });
  }

  /** The replica that accepts an Event sends its record, whichever replica routes the function. */
  @Test
  void eventsRecordsReachTheirDestinationsFromEitherReplica() {
    functions.addAll(List.of("recorder", "fails", "succeeds"));
    cluster.apply(Manifests.provided("recorder", RECORDER, Map.of()));
    cluster.apply(
        Manifests.provided(
            "fails",
            Manifests.bashRuntime("", "  fail \"$1\" Boom \"on purpose\""),
            Map.of(
                "asyncInvokeConfig",
                Map.of(
                    "maximumRetryAttempts",
                    0,
                    "destinationConfig",
                    Map.of("onFailure", Map.of("function", Map.of("name", "recorder")))))));
    cluster.apply(
        Manifests.provided(
            "succeeds",
            SLOW_ECHO,
            Map.of(
                "asyncInvokeConfig",
                Map.of(
                    "destinationConfig",
                    Map.of("onSuccess", Map.of("function", Map.of("name", "recorder")))))));
    for (String function : functions) {
      cluster.awaitReady("Function", function);
    }
    List<String> via = new ArrayList<>();
    for (Pod gateway : awaitGateways()) {
      String name = gateway.getMetadata().getName();
      via.add(name);
      for (String function : List.of("fails", "succeeds")) {
        assertThat(
                through(gateway)
                    .invoke(
                        r ->
                            r.functionName(function)
                                .invocationType(InvocationType.EVENT)
                                .payload(SdkBytes.fromUtf8String("{\"via\":\"" + name + "\"}")))
                    .statusCode())
            .isEqualTo(202);
      }
    }

    await("each Event's record at its destination")
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofSeconds(2))
        .untilAsserted(
            () -> {
              List<String> records =
                  cluster.environments("recorder").stream()
                      .map(
                          pod ->
                              cluster
                                  .client()
                                  .pods()
                                  .inNamespace(cluster.namespace())
                                  .withName(pod.getMetadata().getName())
                                  .inContainer("agent")
                                  .getLog())
                      .flatMap(String::lines)
                      .filter(line -> line.contains("recorded "))
                      .toList();
              for (String name : via) {
                String payload = "\"requestPayload\":{\"via\":\"" + name + "\"}";
                assertThat(records)
                    .anyMatch(
                        r ->
                            r.contains(payload)
                                && r.contains("\"condition\":\"RetriesExhausted\"")
                                && r.contains(":function:fails:$LATEST")
                                && r.contains("\"functionError\":\"Unhandled\""));
                assertThat(records)
                    .anyMatch(
                        r ->
                            r.contains(payload)
                                && r.contains("\"condition\":\"Success\"")
                                && r.contains(":function:succeeds:$LATEST")
                                && r.contains("\"responsePayload\":{\"via\":\"" + name));
              }
            });
  }

  @Test
  void deletingAGatewayPodUnderLoadLosesNothing() throws Exception {
    deploy("steady", Map.of());
    InvocationLoad load = load("steady", 3);
    Thread.sleep(3000);
    Pod victim = awaitGateways().getFirst();
    cluster.client().pods().resource(victim).delete(); // graceful: preStop, then SIGTERM
    await("a replacement gateway replica")
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () ->
                readyGateways().size() == KlambdaCluster.GATEWAY_REPLICAS
                    && readyGateways().stream()
                        .noneMatch(
                            p -> p.getMetadata().getName().equals(victim.getMetadata().getName())));
    Thread.sleep(3000);
    load.stop();
    assertThat(load.failures).isEmpty();
    assertThat(load.retried).as("a replica that leaves in order fails nothing").isEmpty();
    assertThat(load.answered.get()).isGreaterThan(10);
  }

  @Test
  void aRollingRestartUnderLoadLosesNothing() throws Exception {
    deploy("rolled", Map.of());
    InvocationLoad load = load("rolled", 3);
    Thread.sleep(3000);
    List<String> before = awaitGateways().stream().map(p -> p.getMetadata().getName()).toList();
    cluster
        .client()
        .apps()
        .deployments()
        .inNamespace(cluster.namespace())
        .withName(KlambdaCluster.RELEASE + "-gateway")
        .rolling()
        .restart();
    await("every gateway replica replaced")
        .atMost(Duration.ofMinutes(5))
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () -> {
              List<Pod> ready = readyGateways();
              return ready.size() == KlambdaCluster.GATEWAY_REPLICAS
                  && ready.stream().noneMatch(p -> before.contains(p.getMetadata().getName()));
            });
    Thread.sleep(3000);
    load.stop();
    assertThat(load.failures).isEmpty();
    assertThat(load.retried).as("replicas that leave in order fail nothing").isEmpty();
    assertThat(load.answered.get()).isGreaterThan(10);
  }

  private void deploy(String name, Map<String, Object> spec) {
    functions.add(name);
    cluster.apply(Manifests.provided(name, SLOW_ECHO, spec));
    cluster.awaitReady("Function", name);
  }

  private List<Pod> awaitGateways() {
    await("both gateway replicas ready")
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofSeconds(1))
        .until(() -> readyGateways().size() == KlambdaCluster.GATEWAY_REPLICAS);
    return readyGateways();
  }

  /** Gateway Pods whose readiness passes: those the Service sends requests to. */
  private List<Pod> readyGateways() {
    return cluster.klambdaPods("gateway").stream()
        .filter(
            pod ->
                pod.getStatus().getConditions().stream()
                    .anyMatch(c -> c.getType().equals("Ready") && c.getStatus().equals("True")))
        .toList();
  }

  /** An SDK client to one gateway Pod, through a port-forward of its own. */
  private LambdaClient through(Pod gateway) {
    return clients.computeIfAbsent(
        gateway.getMetadata().getName(),
        name -> {
          LocalPortForward forward =
              cluster
                  .client()
                  .pods()
                  .inNamespace(cluster.namespace())
                  .withName(name)
                  .portForward(8080, InetAddress.getLoopbackAddress(), 0);
          forwards.put(name, forward);
          return LambdaClient.builder()
              .endpointOverride(
                  URI.create(
                      "http://"
                          + forward.getLocalAddress().getHostAddress()
                          + ":"
                          + forward.getLocalPort()))
              .region(Region.US_EAST_1)
              .credentialsProvider(
                  StaticCredentialsProvider.create(AwsBasicCredentials.create("e2e", "e2e")))
              .httpClient(
                  UrlConnectionHttpClient.builder().socketTimeout(Duration.ofSeconds(90)).build())
              .overrideConfiguration(c -> c.retryStrategy(AwsRetryStrategy.doNotRetry()))
              .build();
        });
  }

  private static InvokeResponse invoke(LambdaClient lambda, String function, int n) {
    return lambda.invoke(
        r -> r.functionName(function).payload(SdkBytes.fromUtf8String("{\"n\":" + n + "}")));
  }

  /**
   * Each request to a ready gateway Pod, picked anew, as the Service's endpoints would pick one.
   */
  private InvocationLoad load(String function, int callers) {
    return new InvocationLoad(
        () -> {
          List<Pod> ready = readyGateways();
          if (ready.isEmpty()) {
            throw new IllegalStateException("no gateway replica ready");
          }
          return through(ready.get(ThreadLocalRandom.current().nextInt(ready.size())));
        },
        function,
        callers);
  }

  @AfterEach
  void cleanUp() {
    clients.values().forEach(LambdaClient::close);
    forwards
        .values()
        .forEach(
            forward -> {
              try {
                forward.close();
              } catch (Exception e) {
                KlambdaCluster.log("closing a port-forward: " + e.getMessage());
              }
            });
    functions.forEach(name -> cluster.delete("Function", name));
  }
}
