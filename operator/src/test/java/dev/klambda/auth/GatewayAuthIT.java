package dev.klambda.auth;

import static dev.klambda.testing.Manifests.bashRuntime;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.klambda.GatewayMode;
import dev.klambda.OperatorMode;
import dev.klambda.api.Function;
import dev.klambda.kubelet.KubeletFixture;
import dev.klambda.membership.EventCopyApi;
import dev.klambda.testing.LambdaClients;
import dev.klambda.testing.Manifests;
import dev.klambda.testing.MockCluster;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.LambdaException;

/**
 * Two gateway replicas with {@code --auth kubernetes,sigv4} and the operator on the mock API
 * server, whose TokenReviews and SubjectAccessReviews the test answers as a real API server would
 * (RBAC here: a ServiceAccount named invoker may invoke the functions of its own namespace). Bearer
 * tokens and SigV4 keys are authorized through either replica (the one that does not route the
 * function forwards, proving itself with the shared key); every refusal is Lambda's; decisions are
 * cached; a forged forward or event copy gets nothing.
 */
class GatewayAuthIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final Map<String, String> TOKENS =
      Map.of(
          "token-of-team-a", "system:serviceaccount:team-a:invoker",
          "token-of-team-b", "system:serviceaccount:team-b:invoker",
          "token-of-prometheus", "system:serviceaccount:monitoring:prometheus");

  @TempDir Path dir;
  private MockCluster cluster;
  private KubernetesClient client;
  private KubeletFixture kubelet;
  private GatewayMode gatewayA;
  private GatewayMode gatewayB;
  private OperatorMode operator;
  private final AtomicInteger accessReviews = new AtomicInteger();

  @BeforeEach
  void start() throws Exception {
    cluster = new MockCluster();
    client = cluster.client();
    MockCluster.answerAuthReviews(
        cluster.server(),
        TOKENS,
        review -> {
          accessReviews.incrementAndGet();
          if (review.getNonResourceAttributes()
              != null) { // the metrics reader ClusterRole, bound to Prometheus
            return review.getNonResourceAttributes().getPath().equals("/metrics")
                && review.getNonResourceAttributes().getVerb().equals("get")
                && review.getUser().equals("system:serviceaccount:monitoring:prometheus");
          }
          var resource = review.getResourceAttributes();
          return List.of("invoke", "get", "list").contains(resource.getVerb())
              && resource.getGroup().equals("klambda.dev")
              && resource.getResource().equals("functions")
              && review
                  .getUser()
                  .equals("system:serviceaccount:" + resource.getNamespace() + ":invoker");
        });
    client
        .namespaces()
        .resource(
            new NamespaceBuilder().withNewMetadata().withName("klambda").endMetadata().build())
        .create();
    kubelet = new KubeletFixture(client, dir.resolve("kubelet"));
    String key =
        Files.writeString(dir.resolve("gateway-key"), "the-key-both-replicas-share").toString();
    gatewayA =
        cluster.startGateway(
            "gateway-a",
            "--auth",
            "kubernetes,sigv4",
            "--gateway-key-file",
            key,
            "--metrics-auth",
            "kubernetes");
    gatewayB =
        cluster.startGateway("gateway-b", "--auth", "kubernetes,sigv4", "--gateway-key-file", key);
    operator = cluster.startControlPlane(gatewayA);
    client
        .resource(
            JSON.convertValue(
                Manifests.provided("echo", bashRuntime("", "  respond \"$1\" \"$2\""), Map.of()),
                Function.class))
        .inNamespace("team-a")
        .create();
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                List.of(gatewayA, gatewayB).stream()
                    .allMatch(g -> g.members().members().size() == 2 && serves(g, "team-a/echo")));
  }

  @AfterEach
  void stop() {
    operator.close();
    gatewayA.close();
    gatewayB.close();
    kubelet.close();
    cluster.close();
  }

  @Test
  void anAllowedBearerTokenInvokesThroughEitherReplicaAndDecisionsAreKept() throws Exception {
    for (GatewayMode gateway : List.of(gatewayA, gatewayB)) {
      HttpResponse<String> answer = invoke(gateway, "team-a%2Fecho", "Bearer token-of-team-a");
      assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
      assertThat(answer.body()).isEqualTo("{\"n\":1}");
    }
    int reviews = accessReviews.get();
    for (int i = 0; i < 5; i++) {
      assertThat(invoke(gatewayA, "team-a%2Fecho", "Bearer token-of-team-a").statusCode())
          .isEqualTo(200);
    }
    assertThat(accessReviews.get())
        .as("allowed decisions are kept: no review per invocation")
        .isEqualTo(reviews);
  }

  @Test
  void refusalsAreLambdasAndSayNothingOfOtherNamespacesFunctions() throws Exception {
    assertRefused(
        invoke(gatewayA, "team-a%2Fecho", "Bearer token-of-team-b"), 403, "AccessDeniedException");
    assertRefused(
        invoke(gatewayA, "team-a%2Fno-such", "Bearer token-of-team-b"),
        403,
        "AccessDeniedException");
    assertRefused(
        invoke(gatewayA, "team-a%2Fno-such", "Bearer token-of-team-a"),
        404,
        "ResourceNotFoundException");
    assertRefused(
        invoke(gatewayB, "team-a%2Fecho", "Bearer not-a-token"),
        403,
        "UnrecognizedClientException");
    assertRefused(
        invoke(gatewayB, "team-a%2Fecho", null), 403, "MissingAuthenticationTokenException");
    assertRefused(
        invoke(gatewayB, "team-a%2Fecho", "complete nonsense"),
        400,
        "IncompleteSignatureException");
    HttpResponse<String> denied = invoke(gatewayA, "team-a%2Fecho", "Bearer token-of-team-b");
    assertThat(denied.body())
        .contains(
            "User: system:serviceaccount:team-b:invoker is not authorized to perform: "
                + "lambda:InvokeFunction on resource: arn:aws:lambda:us-east-1:team-a:function:echo");
  }

  @Test
  void anAccessKeyFromASecretSignsAsItsServiceAccount() {
    client
        .secrets()
        .inNamespace("team-a")
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("invoker-key")
                .withAnnotations(Map.of(AccessKey.SERVICE_ACCOUNT_ANNOTATION, "invoker"))
                .endMetadata()
                .withType(AccessKey.SECRET_TYPE)
                .withStringData(
                    Map.of("accessKeyId", "AKIDINVOKER", "secretAccessKey", "invoker-secret"))
                .build())
        .create();
    client
        .secrets()
        .inNamespace("team-b")
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("invoker-key")
                .withAnnotations(Map.of(AccessKey.SERVICE_ACCOUNT_ANNOTATION, "invoker"))
                .endMetadata()
                .withType(AccessKey.SECRET_TYPE)
                .withStringData(
                    Map.of("accessKeyId", "AKIDOTHER", "secretAccessKey", "other-secret"))
                .build())
        .create();
    String arn = "arn:aws:lambda:us-east-1:team-a:function:echo";
    for (GatewayMode gateway : List.of(gatewayA, gatewayB)) {
      try (LambdaClient lambda =
              LambdaClients.of(gateway.gateway().baseUrl(), "AKIDINVOKER", "invoker-secret");
          LambdaClient other =
              LambdaClients.of(gateway.gateway().baseUrl(), "AKIDOTHER", "other-secret")) {
        await()
            .atMost(Duration.ofSeconds(10))
            .ignoreExceptions()
            .until(
                () ->
                    lambda
                        .invoke(
                            r ->
                                r.functionName(arn)
                                    .payload(SdkBytes.fromUtf8String("{\"signed\":true}")))
                        .payload()
                        .asUtf8String()
                        .equals("{\"signed\":true}"));
        LambdaException denied =
            (LambdaException)
                org.assertj.core.api.Assertions.catchThrowable(
                    () -> other.invoke(r -> r.functionName(arn)));
        assertThat(denied.awsErrorDetails().errorCode()).isEqualTo("AccessDeniedException");
      }
    }
  }

  @Test
  void aForgedForwardOrEventCopyGetsNothing() throws Exception {
    HttpResponse<String> forged =
        HTTP.send(
            HttpRequest.newBuilder(
                    URI.create(
                        gatewayA.gateway().baseUrl()
                            + "/2015-03-31/functions/team-a%2Fecho/invocations"))
                .header("X-Klambda-Forwarded", "1")
                .header("X-Klambda-Request-Id", "mine")
                .header("X-Klambda-Queue-Millis", "1000")
                .POST(HttpRequest.BodyPublishers.ofString("{}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertRefused(forged, 403, "MissingAuthenticationTokenException");

    HttpResponse<String> copy =
        HTTP.send(
            HttpRequest.newBuilder(
                    URI.create(gatewayA.gateway().baseUrl() + EventCopyApi.PATH + "gateway-b"))
                .header("X-Klambda-Function", "team-a/echo")
                .header("X-Klambda-Request-Id", "forged-event")
                .POST(HttpRequest.BodyPublishers.ofString("{}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(copy.statusCode()).isEqualTo(403);
  }

  @Test
  void readsAskRbacForGetAndListAsInvocationsAskForInvoke() throws Exception {
    HttpResponse<String> config =
        read(
            gatewayB,
            "/2015-03-31/functions/team-a%2Fecho/configuration",
            "Bearer token-of-team-a");
    assertThat(config.statusCode()).as(config.body()).isEqualTo(200);
    assertThat(config.body())
        .contains("\"FunctionArn\":\"arn:aws:lambda:us-east-1:team-a:function:echo\"");
    HttpResponse<String> denied =
        read(gatewayB, "/2015-03-31/functions/team-a%2Fecho", "Bearer token-of-team-b");
    assertRefused(denied, 403, "AccessDeniedException");
    assertThat(denied.body()).contains("lambda:GetFunction").contains("verb 'get'");
    assertThat(read(gatewayA, "/2015-03-31/functions/", "Bearer token-of-team-a").body())
        .contains("\"FunctionName\":\"echo\"");
    assertThat(read(gatewayA, "/2015-03-31/functions/", "Bearer token-of-team-b").body())
        .isEqualTo("{\"Functions\":[]}");
  }

  private static HttpResponse<String> read(GatewayMode gateway, String path, String authorization)
      throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(gateway.gateway().baseUrl() + path))
            .header("Authorization", authorization)
            .GET()
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void withMetricsAuthOnlyWhomRbacLetsGetMetricsReadsThem() throws Exception {
    assertThat(metrics(null).statusCode()).isEqualTo(401);
    assertThat(metrics("Bearer not-a-token").statusCode()).isEqualTo(401);
    assertThat(metrics("Bearer token-of-team-a").statusCode())
        .as("an invoker is no metrics reader")
        .isEqualTo(403);
    HttpResponse<String> scraped = metrics("Bearer token-of-prometheus");
    assertThat(scraped.statusCode()).isEqualTo(200);
    assertThat(scraped.body()).contains("klambda_");
    assertThat(
            HTTP.send(
                    HttpRequest.newBuilder(URI.create(gatewayA.readinessUrl())).build(),
                    HttpResponse.BodyHandlers.discarding())
                .statusCode())
        .as("the kubelet's probe needs no token")
        .isEqualTo(200);
  }

  private HttpResponse<String> metrics(String authorization) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(gatewayA.metricsUrl()));
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static void assertRefused(HttpResponse<String> answer, int status, String type) {
    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(status);
    assertThat(answer.headers().firstValue("x-amzn-ErrorType")).hasValue(type);
  }

  private static HttpResponse<String> invoke(
      GatewayMode gateway, String functionName, String authorization) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(
                URI.create(
                    gateway.gateway().baseUrl()
                        + "/2015-03-31/functions/"
                        + functionName
                        + "/invocations"))
            .POST(HttpRequest.BodyPublishers.ofString("{\"n\":1}"));
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static boolean serves(GatewayMode gateway, String key) {
    try {
      gateway.registry().find(key);
      return true;
    } catch (Exception e) {
      return false;
    }
  }
}
