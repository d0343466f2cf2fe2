package dev.klambda.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.klambda.testing.Manifests;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;
import software.amazon.awssdk.services.lambda.model.LogType;

/**
 * A function's log in a Pod as Lambda writes it: the Invoke phase ends when the runtime asks for
 * its next event (what it logs after answering is that invocation's), and records framed on the
 * runtime's telemetry descriptor (the launcher's second connection) are one line each.
 */
@KlambdaE2E
class FunctionLogsE2E {
  private final KlambdaCluster cluster;
  private final List<String> functions = new ArrayList<>();

  FunctionLogsE2E(KlambdaCluster cluster) {
    this.cluster = cluster;
  }

  private List<String> tail(String function) {
    InvokeResponse response =
        cluster
            .lambda()
            .invoke(
                r ->
                    r.functionName(function)
                        .logType(LogType.TAIL)
                        .payload(SdkBytes.fromUtf8String("{}")));
    assertThat(response.functionError()).as(response.payload().asUtf8String()).isNull();
    // split at \n alone: a record's own line breaks are \r
    return List.of(
        new String(Base64.getDecoder().decode(response.logResult()), StandardCharsets.UTF_8)
            .split("\n"));
  }

  @Test
  void whatTheRuntimeLogsAfterAnsweringIsThatInvocationsLog() {
    deploy(
        "late-logger",
        """
          respond "$1" '{}'
          echo "after the answer of $1"
          sleep 0.2""");

    tail("late-logger"); // a cold start first
    List<String> lines = tail("late-logger");

    assertThat(lines).anyMatch(line -> line.startsWith("after the answer of "));
    assertThat(lines.getLast()).startsWith("REPORT RequestId: ");
    assertThat(
            lines.indexOf(
                lines.stream()
                    .filter(l -> l.startsWith("after the answer of "))
                    .findFirst()
                    .orElseThrow()))
        .isLessThan(lines.size() - 2);
  }

  @Test
  void aFramedRecordOnTheTelemetryDescriptorIsOneLine() {
    // a text frame as the runtime interface clients write it: a55a0003, length 21, a timestamp
    deploy(
        "framed-logger",
        """
          [[ -n "${_LAMBDA_TELEMETRY_LOG_FD:-}" ]] && printf '\\xa5\\x5a\\x00\\x03\\x00\\x00\\x00\\x15\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00a record of\\ntwo lines' >&"$_LAMBDA_TELEMETRY_LOG_FD"
          respond "$1" '{}'""");

    assertThat(tail("framed-logger")).contains("a record of\rtwo lines");
  }

  private void deploy(String name, String handler) {
    functions.add(name);
    cluster.apply(
        Manifests.provided(
            name, Manifests.bashRuntime("", handler), Map.of("idleTimeoutSeconds", 30)));
    cluster.awaitReady("Function", name);
  }

  @AfterEach
  void deleteFunctions() {
    functions.forEach(name -> cluster.delete("Function", name));
  }
}
