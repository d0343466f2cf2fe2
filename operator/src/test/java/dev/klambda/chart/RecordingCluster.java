package dev.klambda.chart;

import dev.klambda.testing.MockCluster;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

/**
 * The mock API server in CRUD mode (as {@code MockCluster}) that records every request the operator
 * and the gateway made (method, path with query, body) before serving it. Three clients: the
 * test's, the operator's and the gateway's; the latter two present bearer tokens of their own, so
 * that each component's requests can be told from the others' (a real API server authorises by
 * exactly that identity: each runs as its own ServiceAccount).
 */
final class RecordingCluster implements AutoCloseable {
  static final String OPERATOR_TOKEN = "klambda-operator";
  static final String GATEWAY_TOKEN = "klambda-gateway";

  /** One API request as the server received it. */
  record Request(String method, String path, String body) {}

  private final List<Request> operatorRequests = new CopyOnWriteArrayList<>();
  private final List<Request> gatewayRequests = new CopyOnWriteArrayList<>();
  private final KubernetesMockServer server;
  private final KubernetesClient client;
  private final KubernetesClient operatorClient;
  private final KubernetesClient gatewayClient;

  RecordingCluster() throws Exception {
    Map<ServerRequest, Queue<ServerResponse>> expectations = new HashMap<>();
    server =
        new KubernetesMockServer(
            new Context(),
            new MockWebServer(),
            expectations,
            recording(new KubernetesMixedDispatcher(expectations)),
            false);
    server.init();
    MockCluster.answerRulesReview(server);
    MockCluster.answerAuthReviews(
        server,
        Map.of(OperatorRun.POLLER_TOKEN, "system:serviceaccount:klambda:klambda"),
        review -> true);
    client = server.createClient(new JdkHttpClientFactory());
    operatorClient = clientWithToken(OPERATOR_TOKEN);
    gatewayClient = clientWithToken(GATEWAY_TOKEN);
    try (Stream<Path> crds = Files.list(Path.of("../crds"))) {
      for (Path crd : crds.sorted().toList()) {
        client.apiextensions().v1().customResourceDefinitions().load(crd.toFile()).create();
      }
    }
  }

  KubernetesClient client() {
    return client;
  }

  private KubernetesClient clientWithToken(String token) {
    return new KubernetesClientBuilder()
        .withConfig(new ConfigBuilder(client.getConfiguration()).withOauthToken(token).build())
        .withHttpClientFactory(new JdkHttpClientFactory())
        .build();
  }

  /** The operator's (control plane's) client. */
  KubernetesClient operatorClient() {
    return operatorClient;
  }

  /** The gateway's (data plane's) client. */
  KubernetesClient gatewayClient() {
    return gatewayClient;
  }

  /** The requests the operator made so far, oldest first. */
  List<Request> operatorRequests() {
    return List.copyOf(operatorRequests);
  }

  /** The requests the gateway made so far, oldest first. */
  List<Request> gatewayRequests() {
    return List.copyOf(gatewayRequests);
  }

  /**
   * Notes the operator's and the gateway's requests (the body read without consuming it), then
   * serves them.
   */
  private Dispatcher recording(Dispatcher crud) {
    return new Dispatcher() {
      @Override
      public MockResponse dispatch(RecordedRequest request) {
        // a SelfSubjectRulesReview needs no grant: every authenticated user may ask
        // (system:basic-user)
        String authorization = request.getHeader("Authorization");
        List<Request> requests =
            ("Bearer " + OPERATOR_TOKEN).equals(authorization)
                ? operatorRequests
                : ("Bearer " + GATEWAY_TOKEN).equals(authorization) ? gatewayRequests : null;
        if (requests != null
            && !request
                .getPath()
                .startsWith("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews")) {
          byte[] body = request.getBody() == null ? new byte[0] : request.getBody().getBytes();
          requests.add(
              new Request(
                  request.getMethod(),
                  request.getPath(),
                  new String(body, StandardCharsets.UTF_8)));
        }
        return crud.dispatch(request);
      }

      @Override
      public void shutdown() {
        crud.shutdown();
      }
    };
  }

  @Override
  public void close() {
    operatorClient.close();
    gatewayClient.close();
    client.close();
    server.destroy();
  }
}
