package dev.klambda.e2e;

import static dev.klambda.e2e.KlambdaCluster.json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.klambda.testing.Manifests;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;

/**
 * A function past its timeout and a runtime that exits, as the AWS SDK sees them, and the reset
 * after each.
 */
@KlambdaE2E
class FunctionErrorsE2E {
  private final KlambdaCluster cluster;
  private final List<String> functions = new ArrayList<>();

  FunctionErrorsE2E(KlambdaCluster cluster) {
    this.cluster = cluster;
  }

  @Test
  void aFunctionRunningPastItsTimeoutGetsSandboxTimedout() {
    deploy(
        "sleeper",
        """
          case "$2" in
            *sleep*) sleep 30; respond "$1" '{"slept":true}' ;;
            *) respond "$1" '{"slept":false}' ;;
          esac""",
        Map.of("timeoutSeconds", 1));

    InvokeResponse timedOut = cluster.invoke("sleeper", "{\"sleep\":true}");

    assertThat(timedOut.statusCode()).isEqualTo(200);
    assertThat(timedOut.functionError()).isEqualTo("Unhandled");
    assertThat(json(timedOut).path("errorType").asText()).isEqualTo("Sandbox.Timedout");
    assertThat(json(timedOut).path("errorMessage").asText())
        .startsWith("RequestId: " + timedOut.responseMetadata().requestId())
        .endsWith("Task timed out after 1.00 seconds");
    // the environment was reset: the next invocation runs
    InvokeResponse next = cluster.invoke("sleeper", "{}");
    assertThat(next.functionError()).as(next.payload().asUtf8String()).isNull();
    assertThat(json(next).path("slept").asBoolean(true)).isFalse();
  }

  @Test
  void aRuntimeThatExitsGetsRuntimeExitError() {
    deploy(
        "crasher",
        """
          case "$2" in
            *crash*) echo "crashing on purpose" >&2; exit 1 ;;
            *) respond "$1" '{"crashed":false}' ;;
          esac""",
        Map.of());

    InvokeResponse crashed = cluster.invoke("crasher", "{\"crash\":true}");

    assertThat(crashed.statusCode()).isEqualTo(200);
    assertThat(crashed.functionError()).isEqualTo("Unhandled");
    assertThat(json(crashed).path("errorType").asText()).isEqualTo("Runtime.ExitError");
    assertThat(json(crashed).path("errorMessage").asText())
        .contains("Runtime exited with error: exit status 1");
    InvokeResponse next = cluster.invoke("crasher", "{}");
    assertThat(next.functionError()).as(next.payload().asUtf8String()).isNull();
    assertThat(json(next).path("crashed").asBoolean(true)).isFalse();
  }

  private void deploy(String name, String handler, Map<String, Object> spec) {
    Map<String, Object> fullSpec = new LinkedHashMap<>(spec);
    fullSpec.put("idleTimeoutSeconds", 30);
    functions.add(name);
    cluster.apply(Manifests.provided(name, Manifests.bashRuntime("", handler), fullSpec));
    cluster.awaitReady("Function", name);
  }

  @AfterEach
  void deleteFunctions() {
    functions.forEach(name -> cluster.delete("Function", name));
  }
}
