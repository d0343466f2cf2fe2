package dev.klambda.e2e;

import static dev.klambda.testing.PrometheusText.value;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import dev.klambda.testing.Manifests;
import dev.klambda.testing.PrometheusText;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Invocations are metered on the metrics Service (port 9090, /metrics) under klambda_* names. */
@KlambdaE2E
class MetricsE2E {
  private final KlambdaCluster cluster;

  MetricsE2E(KlambdaCluster cluster) {
    this.cluster = cluster;
  }

  @Test
  void everyInvocationIsCountedTimedAndBilled() {
    cluster.apply(
        Manifests.provided(
            "metered",
            Manifests.bashRuntime(
                "",
                """
          case "$2" in
            *fail*) fail "$1" ValidationError "bad input" ;;
            *) respond "$1" '{"ok":true}' ;;
          esac"""),
            Map.of("memoryMB", 128, "idleTimeoutSeconds", 60)));
    cluster.awaitReady("Function", "metered");

    for (int i = 0; i < 3; i++) {
      assertThat(cluster.invoke("metered", "{}").functionError()).isNull();
    }
    assertThat(cluster.invoke("metered", "{\"fail\":true}").functionError()).isEqualTo("Unhandled");

    Map<String, String> metered = Map.of("namespace", cluster.namespace(), "function", "metered");
    await("klambda_invocations_total of metered")
        .atMost(Duration.ofSeconds(30))
        .until(() -> value(cluster.scrapeMetrics(), "klambda_invocations_total", metered) >= 4);
    List<PrometheusText.Sample> samples = cluster.scrapeMetrics();
    assertThat(value(samples, "klambda_invocations_total", with(metered, "result", "success")))
        .isEqualTo(3.0);
    assertThat(value(samples, "klambda_invocations_total", with(metered, "result", "error")))
        .isEqualTo(1.0);
    assertThat(value(samples, "klambda_invocation_duration_seconds_count", metered)).isEqualTo(4.0);
    assertThat(value(samples, "klambda_cold_starts_total", metered))
        .as("one environment, started once")
        .isEqualTo(1.0);
    assertThat(value(samples, "klambda_init_duration_seconds_count", metered)).isEqualTo(1.0);
    double billedSeconds = value(samples, "klambda_billed_duration_seconds_total", metered);
    assertThat(billedSeconds).isGreaterThanOrEqualTo(0.004);
    assertThat(value(samples, "klambda_gb_seconds_total", metered))
        .isCloseTo(billedSeconds * 128 / 1024, within(1e-9));
    assertThat(samples)
        .filteredOn(
            s ->
                s.name().startsWith("klambda_")
                    && s.labels().entrySet().containsAll(metered.entrySet()))
        .as("metered's klambda_* series: no label per request or per environment")
        .isNotEmpty()
        .allSatisfy(
            s ->
                assertThat(s.labels().keySet())
                    .isSubsetOf("namespace", "function", "result", "state", "outcome", "le"));
  }

  private static Map<String, String> with(Map<String, String> labels, String key, String value) {
    Map<String, String> more = new HashMap<>(labels);
    more.put(key, value);
    return more;
  }

  @AfterEach
  void deleteFunction() {
    cluster.delete("Function", "metered");
  }
}
