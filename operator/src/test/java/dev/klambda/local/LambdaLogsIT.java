package dev.klambda.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.klambda.testing.LambdaClients;
import dev.klambda.testing.LocalModes;
import dev.klambda.testing.Manifests;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;
import software.amazon.awssdk.services.lambda.model.LogType;

/**
 * A function's log as Lambda writes it, through the AWS SDK's {@code LogType: Tail} and local
 * mode's output: the official Java runtime interface client's framed records (one record, one
 * line), and the Invoke phase ending when the runtime asks for its next event, so what the client
 * logs after posting an error is that invocation's.
 */
class LambdaLogsIT {
  private final ByteArrayOutputStream output = new ByteArrayOutputStream();
  private LocalMode local;
  private LambdaClient lambda;

  @BeforeEach
  void start(@TempDir Path dir) throws Exception {
    Path manifest =
        Manifests.write(
            dir.resolve("functions.yaml"),
            List.of(
                Manifests.java21(
                    "logger",
                    "dev.klambda.testfunctions.LoggingHandler",
                    Manifests.testFunctionsJar(),
                    Map.of())));
    local =
        LocalModes.start(
            dir, new PrintStream(output, true, StandardCharsets.UTF_8), manifest.toString());
    lambda = LambdaClients.of(local.gateway().baseUrl());
  }

  @AfterEach
  void stop() {
    lambda.close();
    local.close();
  }

  private InvokeResponse invoke(String event) {
    return lambda.invoke(
        r ->
            r.functionName("logger").logType(LogType.TAIL).payload(SdkBytes.fromUtf8String(event)));
  }

  private static List<String> tail(InvokeResponse response) {
    // split at \n alone: String.lines() would split a record's \r too
    return List.of(
        new String(Base64.getDecoder().decode(response.logResult()), StandardCharsets.UTF_8)
            .split("\n"));
  }

  @Test
  void eachLoggedRecordIsOneLineHoweverManyLinesItHas() {
    InvokeResponse response = invoke("{}");

    assertThat(response.payload().asUtf8String()).isEqualTo("\"logged\"");
    List<String> lines = tail(response);
    assertThat(lines)
        .as("two log() calls without a newline are two records")
        .containsSubsequence("first record", "second record", "a record of\rthree\rlines");
    assertThat(lines.getLast())
        .startsWith("REPORT RequestId: " + response.responseMetadata().requestId());
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () ->
                assertThat(output.toString(StandardCharsets.UTF_8))
                    .contains("first record", "second record"));
  }

  @Test
  void whatTheRuntimeLogsAfterPostingAnErrorIsInThatInvocationsLog() {
    InvokeResponse failed = invoke("{\"fail\":\"first\"}");

    assertThat(failed.functionError()).isEqualTo("Unhandled");
    List<String> lines = tail(failed);
    String id = failed.responseMetadata().requestId();
    int end = lines.indexOf("END RequestId: " + id);
    assertThat(end).as(String.join("\n", lines)).isPositive();
    assertThat(lines.subList(0, end))
        .as("the client's log of the exception, before END")
        .anyMatch(line -> line.contains("failing on purpose: first"));

    InvokeResponse next = invoke("{}");
    assertThat(tail(next))
        .as("nothing of the failed invocation in the next one's log")
        .noneMatch(line -> line.contains("failing on purpose"));
  }
}
