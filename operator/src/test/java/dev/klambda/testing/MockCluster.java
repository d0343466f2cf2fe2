package dev.klambda.testing;

import dev.klambda.GatewayMode;
import dev.klambda.LeaderElection;
import dev.klambda.OperatorMode;
import dev.klambda.cli.Options;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;

/** The fabric8 mock API server in CRUD mode with klambda's CRDs installed. */
public final class MockCluster implements AutoCloseable {
  private final KubernetesMockServer server;
  private final KubernetesClient client;

  public MockCluster() {
    Map<ServerRequest, Queue<ServerResponse>> expectations = new HashMap<>();
    server =
        new KubernetesMockServer(
            new Context(),
            new MockWebServer(),
            expectations,
            new KubernetesMixedDispatcher(expectations),
            false);
    server.init();
    answerRulesReview(server);
    client = server.createClient(new JdkHttpClientFactory());
    for (String crd :
        List.of("functions.klambda.dev-v1.yml", "eventsourcemappings.klambda.dev-v1.yml")) {
      client
          .apiextensions()
          .v1()
          .customResourceDefinitions()
          .load(Path.of("../crds", crd).toFile())
          .create();
    }
  }

  /**
   * What a real API server answers JOSDK's check before leader election (a SelfSubjectRulesReview,
   * which every authenticated user may create): the Lease verbs it needs. The server must have a
   * {@code KubernetesMixedDispatcher} over its expectations.
   */
  public static void answerRulesReview(KubernetesMockServer server) {
    server
        .expect()
        .post()
        .withPath("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews")
        .andReturn(
            201,
            new SelfSubjectRulesReviewBuilder()
                .withNewStatus()
                .addNewResourceRule()
                .withApiGroups("coordination.k8s.io")
                .withResources("leases")
                .withVerbs("get", "create", "update")
                .endResourceRule()
                .withIncomplete(false)
                .endStatus()
                .build())
        .always();
  }

  /**
   * TokenReviews and SubjectAccessReviews answered as a real API server would: a token of {@code
   * users} is that user (a ServiceAccount's groups with it), any other is not authenticated; {@code
   * allowed} is RBAC's answer to a review.
   */
  public static void answerAuthReviews(
      KubernetesMockServer server,
      Map<String, String> users,
      java.util.function.Predicate<
              io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewSpec>
          allowed) {
    server
        .expect()
        .post()
        .withPath("/apis/authentication.k8s.io/v1/tokenreviews")
        .andReply(
            201,
            request -> {
              var review =
                  io.fabric8.kubernetes.client.utils.Serialization.unmarshal(
                      request.getBody().readUtf8(),
                      io.fabric8.kubernetes.api.model.authentication.TokenReview.class);
              String user = users.get(review.getSpec().getToken());
              var status =
                  new io.fabric8.kubernetes.api.model.authentication.TokenReviewStatusBuilder()
                      .withAuthenticated(user != null)
                      .withAudiences(review.getSpec().getAudiences());
              if (user != null) {
                String namespace = user.split(":").length == 4 ? user.split(":")[2] : "";
                status
                    .withNewUser()
                    .withUsername(user)
                    .withUid("uid-" + user)
                    .withGroups(
                        "system:serviceaccounts",
                        "system:serviceaccounts:" + namespace,
                        "system:authenticated")
                    .endUser();
              } else {
                status.withError("invalid bearer token");
              }
              review.setStatus(status.build());
              return review;
            })
        .always();
    server
        .expect()
        .post()
        .withPath("/apis/authorization.k8s.io/v1/subjectaccessreviews")
        .andReply(
            201,
            request -> {
              var review =
                  io.fabric8.kubernetes.client.utils.Serialization.unmarshal(
                      request.getBody().readUtf8(),
                      io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReview.class);
              review.setStatus(
                  new io.fabric8.kubernetes.api.model.authorization.v1
                          .SubjectAccessReviewStatusBuilder()
                      .withAllowed(allowed.test(review.getSpec()))
                      .build());
              return review;
            })
        .always();
  }

  public KubernetesMockServer server() {
    return server;
  }

  public KubernetesClient client() {
    return client;
  }

  /**
   * klambda as the chart ships it: one gateway replica (with {@code gatewayArgs}) and the operator,
   * whose pollers invoke through it; every port a free loopback one.
   */
  public RunningKlambda startOperator(String... gatewayArgs) throws java.io.IOException {
    GatewayMode gateway = startGateway("gateway-0", gatewayArgs);
    return new RunningKlambda(gateway, startControlPlane(gateway));
  }

  /** The operator alone (no leader election), its pollers and URLs pointing at {@code gateway}. */
  public OperatorMode startControlPlane(GatewayMode gateway) throws java.io.IOException {
    return OperatorMode.start(operatorOptions(gateway), client, null);
  }

  /** One gateway replica named {@code identity}; replicas started here see each other. */
  public GatewayMode startGateway(String identity, String... moreArgs) throws java.io.IOException {
    // open unless a test asks for authentication (GatewayAuthIT): the tests of other features call
    // without credentials
    List<String> args =
        new java.util.ArrayList<>(
            List.of(
                "--auth",
                "none",
                "--bind",
                "127.0.0.1",
                "--port",
                "0",
                "--metrics-port",
                "0",
                "--runtime-image",
                "klambda/runtime:test",
                "--queue-timeout-seconds",
                "30",
                "--identity",
                identity,
                "--lease-namespace",
                "klambda",
                "--usage-interval-seconds",
                "1"));
    args.addAll(List.of(moreArgs));
    return GatewayMode.start(
        Options.parseGateway(args), client, Duration.ofSeconds(2), Duration.ofMillis(300));
  }

  /**
   * A replica of the operator that competes for the Lease with short timings, and does not exit.
   */
  public OperatorMode startReplica(String identity, GatewayMode gateway)
      throws java.io.IOException {
    return OperatorMode.start(
        operatorOptions(gateway),
        client,
        new LeaderElection(
            LeaderElection.LEASE_NAME,
            "klambda",
            identity,
            Duration.ofSeconds(2),
            Duration.ofMillis(1500),
            Duration.ofMillis(300),
            false));
  }

  private static Options operatorOptions(GatewayMode gateway) {
    return Options.parseOperator(
        List.of(
            "--bind",
            "127.0.0.1",
            "--metrics-port",
            "0",
            "--queue-timeout-seconds",
            "30",
            "--gateway-url",
            gateway.gateway().baseUrl()));
  }

  @Override
  public void close() {
    client.close();
    server.destroy();
  }
}
