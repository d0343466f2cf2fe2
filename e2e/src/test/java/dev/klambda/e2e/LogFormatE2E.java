package dev.klambda.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Pod;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * With the chart's {@code logFormat: json} (how the e2e release is installed), every line klambda's
 * gateway and operator log is one JSON object with the fields log pipelines index. Lines the JVM
 * itself prints (warnings before {@code main}) are not klambda's and are not judged.
 */
@KlambdaE2E
class LogFormatE2E {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final KlambdaCluster cluster;

  LogFormatE2E(KlambdaCluster cluster) {
    this.cluster = cluster;
  }

  @Test
  void theGatewaysAndTheOperatorsLinesAreJson() throws IOException {
    for (String component : List.of("gateway", "operator")) {
      List<JsonNode> lines = new ArrayList<>();
      for (Pod pod : cluster.klambdaPods(component)) {
        String log =
            cluster
                .client()
                .pods()
                .inNamespace(pod.getMetadata().getNamespace())
                .withName(pod.getMetadata().getName())
                .inContainer(pod.getSpec().getContainers().getFirst().getName())
                .getLog();
        for (String line : log.split("\n")) {
          if (line.startsWith("{")) {
            lines.add(JSON.readTree(line));
          }
        }
      }
      assertThat(lines).as("the %s's JSON lines", component).isNotEmpty();
      assertThat(lines)
          .as("the %s's lines carry level, logger, message and time", component)
          .allSatisfy(
              line ->
                  assertThat(
                          line.has("level")
                              && line.has("loggerName")
                              && line.has("formattedMessage")
                              && line.has("timestamp"))
                      .as(line.toString())
                      .isTrue());
      // the line that says the mode started (InCluster)
      assertThat(lines)
          .as("the %s says it started", component)
          .anyMatch(
              line -> line.path("formattedMessage").asText().startsWith("klambda " + component));
    }
  }
}
