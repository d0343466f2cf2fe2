package dev.klambda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.klambda.cli.Options;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Where the operator sends invocations, and what it says when it cannot know. */
class OperatorModeTest {
  private static KubernetesClient clientIn(String namespace) {
    // never connects: only its configured namespace is read
    return new KubernetesClientBuilder()
        .withConfig(
            new ConfigBuilder()
                .withMasterUrl("https://127.0.0.1:1")
                .withNamespace(namespace)
                .withAutoConfigure(false)
                .build())
        .build();
  }

  @Test
  void theGatewayIsTheChartsServiceInTheOperatorsNamespace() {
    try (KubernetesClient client = clientIn("klambda")) {
      assertThat(OperatorMode.gatewayUrl(Options.parseOperator(List.of()), client))
          .isEqualTo("http://klambda-gateway.klambda.svc:8080");
      assertThat(
              OperatorMode.gatewayUrl(
                  Options.parseOperator(List.of("--gateway-url", "http://gw:8080")), client))
          .isEqualTo("http://gw:8080");
    }
  }

  /**
   * Without POD_NAMESPACE or a kubeconfig namespace: an error naming the flag, not
   * "klambda-gateway.null.svc".
   */
  @Test
  void anUnknownNamespaceAsksForTheGatewayUrl() {
    try (KubernetesClient client = clientIn(null)) {
      assertThatThrownBy(() -> OperatorMode.gatewayUrl(Options.parseOperator(List.of()), client))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("--gateway-url is required: the operator's namespace is unknown");
    }
  }
}
