package dev.klambda.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.klambda.testing.LambdaClients;
import dev.klambda.testing.LocalModes;
import dev.klambda.testing.Manifests;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvokeRequest;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;
import software.amazon.awssdk.services.lambda.model.LogType;

/**
 * python3.11 in local mode, through the Invoke API with the AWS SDK: the machine's python3 runs the
 * runtime client; what a handler sees and what its caller gets are Lambda's.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PythonRuntimeIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The handlers, a dependency beside them and one in python/ (Lambda's /opt/python). */
  private static final Map<String, String> CODE =
      Map.of(
          "app.py",
              """
          import logging
          import os

          import beside
          import layered.names

          INITS = []
          INITS.append("init")
          logger = logging.getLogger()
          logger.setLevel(logging.INFO)


          def context(event, context):
              print("printed for", event.get("name"))
              logger.info("logged for %s", event.get("name"))
              cc = context.client_context
              return {
                  "aws_request_id": context.aws_request_id,
                  "function_name": context.function_name,
                  "function_version": context.function_version,
                  "memory_limit_in_mb": context.memory_limit_in_mb,
                  "remaining_ms": context.get_remaining_time_in_millis(),
                  "invoked_function_arn": context.invoked_function_arn,
                  "log_group_name": context.log_group_name,
                  "log_stream_name": context.log_stream_name,
                  "client_custom": cc.custom if cc else None,
                  "identity": context.identity.cognito_identity_id,
                  "trace_id": os.environ.get("_X_AMZN_TRACE_ID"),
                  "inits": len(INITS),
                  "dependencies": [beside.NAME, layered.names.NAME],
              }


          def fail(event, context):
              raise KeyError("no such thing")
          """,
          "beside.py", "NAME = 'beside'\n",
          "python/layered/__init__.py", "",
          "python/layered/names.py", "NAME = 'layered'\n",
          "broken.py", "x = 1\n\ndef handler(:\n");

  private final ByteArrayOutputStream output = new ByteArrayOutputStream();
  private LocalMode local;
  private LambdaClient lambda;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    List<Map<String, Object>> functions =
        new ArrayList<>(
            List.of(
                python("py-context", "app.context", Map.of()),
                python("py-fail", "app.fail", Map.of()),
                python("py-no-module", "nothere.handler", Map.of()),
                python("py-no-handler", "app.nope", Map.of()),
                python("py-syntax", "broken.handler", Map.of()),
                python(
                    "py-no-python",
                    "app.context",
                    Map.of("PATH", dir.resolve("empty").toString()))));
    Path oldPython = olderPython();
    if (oldPython != null) {
      Path bin = Files.createDirectories(dir.resolve("old-python"));
      Files.createSymbolicLink(bin.resolve("python3"), oldPython);
      functions.add(python("py-old-python", "app.context", Map.of("PATH", bin.toString())));
    }
    Path manifest = Manifests.write(dir.resolve("functions.yaml"), functions);
    local =
        LocalModes.start(
            dir, new PrintStream(output, true, StandardCharsets.UTF_8), manifest.toString());
    lambda = LambdaClients.of(local.gateway().baseUrl());
  }

  @AfterAll
  void stop() {
    lambda.close();
    local.close();
  }

  private static Map<String, Object> python(
      String name, String handler, Map<String, String> variables) {
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("runtime", "python3.11");
    spec.put("handler", handler);
    spec.put("memoryMB", 256);
    spec.put("timeoutSeconds", 5);
    if (!variables.isEmpty()) {
      spec.put("environment", Map.of("variables", variables));
    }
    spec.put("code", Map.of("inline", Map.of("files", CODE)));
    return Manifests.function(name, spec);
  }

  /** A python3 older than 3.11 on this machine (pyenv's), or null. */
  private static Path olderPython() throws IOException {
    Path versions = Path.of(System.getProperty("user.home"), ".pyenv/versions");
    if (!Files.isDirectory(versions)) {
      return null;
    }
    try (Stream<Path> installed = Files.list(versions)) {
      return installed
          .filter(v -> v.getFileName().toString().matches("3\\.([6-9]|10)\\..*"))
          .map(v -> v.resolve("bin/python3"))
          .filter(Files::isExecutable)
          .findFirst()
          .orElse(null);
    }
  }

  private InvokeResponse invoke(String function, String payload) {
    return lambda.invoke(
        r ->
            r.functionName(function)
                .logType(LogType.TAIL)
                .payload(SdkBytes.fromUtf8String(payload)));
  }

  private static JsonNode json(InvokeResponse response) throws IOException {
    return JSON.readTree(response.payload().asUtf8String());
  }

  private static List<String> tail(InvokeResponse response) {
    // split at \n alone: a record's own line breaks are \r
    return List.of(
        new String(Base64.getDecoder().decode(response.logResult()), StandardCharsets.UTF_8)
            .split("\n"));
  }

  @Test
  void theHandlerGetsLambdasContextAndItsDependencies() throws Exception {
    String clientContext =
        Base64.getEncoder()
            .encodeToString(
                "{\"custom\":{\"team\":\"blue\"},\"client\":{},\"env\":{}}"
                    .getBytes(StandardCharsets.UTF_8));
    InvokeResponse response =
        lambda.invoke(
            InvokeRequest.builder()
                .functionName("py-context")
                .clientContext(clientContext)
                .payload(SdkBytes.fromUtf8String("{\"name\":\"Ada\"}"))
                .build());

    assertThat(response.functionError()).as(response.payload().asUtf8String()).isNull();
    JsonNode context = json(response);
    assertThat(context.get("aws_request_id").asText())
        .isEqualTo(response.responseMetadata().requestId());
    assertThat(context.get("function_name").asText()).isEqualTo("py-context");
    assertThat(context.get("function_version").asText()).isEqualTo("$LATEST");
    assertThat(context.get("memory_limit_in_mb").asText()).isEqualTo("256");
    assertThat(context.get("remaining_ms").asLong()).isBetween(1L, 5000L);
    assertThat(context.get("invoked_function_arn").asText()).endsWith(":function:py-context");
    assertThat(context.get("log_group_name").asText()).isEqualTo("/aws/lambda/py-context");
    assertThat(context.get("log_stream_name").asText()).startsWith("py-context/");
    assertThat(context.get("client_custom").get("team").asText()).isEqualTo("blue");
    assertThat(context.get("identity").isNull())
        .as("no Cognito identity through the Invoke API")
        .isTrue();
    assertThat(context.get("trace_id").asText()).startsWith("Root=1-");
    assertThat(context.get("dependencies").toString()).isEqualTo("[\"beside\",\"layered\"]");
  }

  @Test
  void theModulesTopLevelCodeRunsOnceAtInit() throws Exception {
    invoke("py-context", "{}");
    InvokeResponse second = invoke("py-context", "{}");

    assertThat(json(second).get("inits").asInt()).isEqualTo(1);
  }

  @Test
  void printIsRawAndTheLoggingModuleWritesLambdasFormat() {
    InvokeResponse response = invoke("py-context", "{\"name\":\"Bob\"}");

    String id = response.responseMetadata().requestId();
    List<String> lines = tail(response);
    assertThat(lines).contains("printed for Bob");
    assertThat(lines)
        .anyMatch(
            line ->
                line.matches(
                    "\\[INFO]\t\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z\t"
                        + id
                        + "\tlogged for Bob"));
  }

  @Test
  void anExceptionIsAnUnhandledErrorWithLambdasShape() throws Exception {
    InvokeResponse response = invoke("py-fail", "{}");

    assertThat(response.functionError()).isEqualTo("Unhandled");
    JsonNode error = json(response);
    assertThat(error.get("errorType").asText()).isEqualTo("KeyError");
    assertThat(error.get("errorMessage").asText()).isEqualTo("'no such thing'");
    assertThat(error.get("requestId").asText()).isEqualTo(response.responseMetadata().requestId());
    assertThat(error.get("stackTrace").isArray()).isTrue();
    assertThat(error.get("stackTrace").get(0).asText())
        .matches("(?s)  File \".*/app\\.py\", line \\d+, in fail\n.*");
    assertThat(tail(response))
        .as("the error and its stack trace are one record")
        .anyMatch(
            line ->
                line.startsWith(
                    "[ERROR] KeyError: 'no such thing'\rTraceback (most recent call last):\r"));
  }

  @Test
  void initErrorsAreLambdas() throws Exception {
    assertInitError(
        "py-no-module",
        "Runtime.ImportModuleError",
        "Unable to import module 'nothere': No module named 'nothere'");
    assertInitError(
        "py-no-handler", "Runtime.HandlerNotFound", "Handler 'nope' missing on module 'app'");
    assertInitError(
        "py-syntax",
        "Runtime.UserCodeSyntaxError",
        "Syntax error in module 'broken': invalid syntax (broken.py, line 3)");
  }

  @Test
  void noPythonOnThePathIsAnInvalidRuntimeNamingTheFunction() throws Exception {
    InvokeResponse response = invoke("py-no-python", "{}");

    assertThat(response.functionError()).isEqualTo("Unhandled");
    assertThat(json(response).get("errorType").asText()).isEqualTo("Runtime.InvalidRuntime");
    assertThat(json(response).get("errorMessage").asText())
        .contains(
            "Function 'py-no-python' (python3.11) needs python3, Python 3.11 or newer, on its PATH");
  }

  @Test
  void aPythonOlderThan311IsAnInvalidRuntimeNamingTheFunction() throws Exception {
    assumeTrue(
        olderPython() != null, "no python3 older than 3.11 on this machine (~/.pyenv/versions)");
    InvokeResponse response = invoke("py-old-python", "{}");

    assertThat(response.functionError()).isEqualTo("Unhandled");
    assertThat(json(response).get("errorType").asText()).isEqualTo("Runtime.InvalidRuntime");
    assertThat(json(response).get("errorMessage").asText())
        .matches(
            "Function 'py-old-python' \\(python3\\.11\\) needs Python 3\\.11 or newer; .*python3 is 3\\.\\d+\\.\\d+");
  }

  private void assertInitError(String function, String type, String message) throws Exception {
    InvokeResponse response = invoke(function, "{}");
    assertThat(response.functionError()).as(function).isEqualTo("Unhandled");
    JsonNode error = json(response);
    assertThat(error.get("errorType").asText()).as(function).isEqualTo(type);
    assertThat(error.get("errorMessage").asText()).as(function).isEqualTo(message);
    assertThat(error.get("stackTrace").isArray()).as(function).isTrue();
  }
}
