package dev.klambda.testing;

import dev.klambda.OperatorMode;
import dev.klambda.Options;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;

/** The fabric8 mock API server in CRUD mode with klambda's CRDs installed. */
public final class MockCluster implements AutoCloseable {
  private final KubernetesMockServer server;
  private final KubernetesClient client;

  public MockCluster() {
    server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
        new KubernetesCrudDispatcher(), false);
    server.init();
    client = server.createClient(new JdkHttpClientFactory());
    for (String crd : List.of("functions.klambda.dev-v1.yml", "eventsourcemappings.klambda.dev-v1.yml")) {
      client.apiextensions().v1().customResourceDefinitions().load(Path.of("../crds", crd).toFile()).create();
    }
  }

  public KubernetesClient client() {
    return client;
  }

  /** The operator as it ships, its gateway and metrics on free loopback ports. */
  public OperatorMode startOperator() throws java.io.IOException {
    return OperatorMode.start(Options.parseOperator(List.of("--bind", "127.0.0.1", "--port", "0",
        "--metrics-port", "0", "--runtime-image", "klambda/runtime:test", "--queue-timeout-seconds", "30",
        "--gateway-url", "http://klambda-gateway.klambda.svc:8080")), client);
  }

  @Override
  public void close() {
    client.close();
    server.destroy();
  }
}
