package dev.klambda.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;
import io.fabric8.kubernetes.client.LocalPortForward;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Only those RBAC allows invoke: unsigned requests are refused; a projected ServiceAccount token
 * (audience klambda) of the invoker runs the function, another ServiceAccount's does not, and
 * {@code kubectl auth can-i} (a SubjectAccessReview) says the same; an environment Pod's port takes
 * no work from anyone but the gateway.
 */
@KlambdaE2E
class AuthE2E {
  private final KlambdaCluster cluster;

  AuthE2E(KlambdaCluster cluster) {
    this.cluster = cluster;
  }

  @Test
  void onlyWhomRbacAllowsInvokesAndEnvironmentsTakeWorkFromTheGatewayOnly() throws Exception {
    GenericKubernetesResource echo = cluster.example("echo-provided.yaml").getFirst();
    cluster.apply(echo);
    cluster.awaitReady("Function", "echo");
    String namespace = cluster.namespace();
    cluster
        .client()
        .serviceAccounts()
        .inNamespace(namespace)
        .resource(
            new ServiceAccountBuilder().withNewMetadata().withName("nobody").endMetadata().build())
        .createOr(existing -> existing.update());

    assertThat(invoke(null).statusCode()).as("unsigned").isEqualTo(403);
    assertThat(invoke(null).headers().firstValue("x-amzn-ErrorType"))
        .hasValue("MissingAuthenticationTokenException");
    HttpResponse<String> allowed = invoke("Bearer " + token(cluster.invoker()));
    assertThat(allowed.statusCode()).as(allowed.body()).isEqualTo(200);
    HttpResponse<String> denied = invoke("Bearer " + token("nobody"));
    assertThat(denied.statusCode()).isEqualTo(403);
    assertThat(denied.headers().firstValue("x-amzn-ErrorType")).hasValue("AccessDeniedException");
    assertThat(canInvoke(cluster.invoker()))
        .as("kubectl auth can-i invoke, for the invoker")
        .isTrue();
    assertThat(canInvoke("nobody")).as("kubectl auth can-i invoke, for nobody").isFalse();

    // straight to the environment's agent, past the gateway: refused, never run
    String pod = cluster.environments("echo").getFirst().getMetadata().getName();
    try (LocalPortForward agent =
        cluster
            .client()
            .pods()
            .inNamespace(namespace)
            .withName(pod)
            .portForward(9000, InetAddress.getLoopbackAddress(), 0)) {
      HttpResponse<String> bypass =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create(
                              "http://127.0.0.1:" + agent.getLocalPort() + "/klambda/invoke"))
                      .header("Klambda-Request-Id", "chosen-by-the-caller")
                      .POST(HttpRequest.BodyPublishers.ofString("not json"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(bypass.statusCode()).isEqualTo(403);
    }
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                cluster.scrapeMetrics().stream()
                    .anyMatch(
                        s ->
                            s.name().equals("klambda_auth_refusals_total")
                                && "denied".equals(s.labels().get("reason"))));
  }

  private HttpResponse<String> invoke(String authorization) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(
                URI.create(cluster.gatewayUrl() + "/2015-03-31/functions/echo/invocations"))
            .POST(HttpRequest.BodyPublishers.ofString("{\"n\":1}"));
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    try (HttpClient http = HttpClient.newHttpClient()) {
      return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
  }

  /**
   * A projected token of the ServiceAccount for the gateway's audience, as {@code kubectl create
   * token}.
   */
  private String token(String serviceAccount) {
    return cluster
        .client()
        .serviceAccounts()
        .inNamespace(cluster.namespace())
        .withName(serviceAccount)
        .tokenRequest(
            new TokenRequestBuilder()
                .withNewSpec()
                .withAudiences("klambda")
                .withExpirationSeconds(600L)
                .endSpec()
                .build())
        .getStatus()
        .getToken();
  }

  private boolean canInvoke(String serviceAccount) {
    return cluster
        .client()
        .authorization()
        .v1()
        .subjectAccessReview()
        .create(
            new SubjectAccessReviewBuilder()
                .withNewSpec()
                .withUser("system:serviceaccount:" + cluster.namespace() + ":" + serviceAccount)
                .withNewResourceAttributes()
                .withNamespace(cluster.namespace())
                .withVerb("invoke")
                .withGroup("klambda.dev")
                .withResource("functions")
                .withName("echo")
                .endResourceAttributes()
                .endSpec()
                .build())
        .getStatus()
        .getAllowed();
  }
}
