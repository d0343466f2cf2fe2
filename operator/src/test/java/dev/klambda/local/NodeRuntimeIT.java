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
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;
import software.amazon.awssdk.services.lambda.model.LogType;

/**
 * The nodejs22.x runtime in local mode, through the AWS SDK: AWS's Node.js runtime interface client
 * on this machine's Node.js 22 runs CommonJS, ES module and callback handlers of {@code
 * nodejs-function/} as Lambda's Node.js runtime does (context, errors, Init errors, log).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NodeRuntimeIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final ByteArrayOutputStream output = new ByteArrayOutputStream();
  private LocalMode local;
  private LambdaClient lambda;

  @BeforeAll
  void start() throws IOException {
    String unavailable = NodeRuntimeAvailability.unavailableReason();
    assumeTrue(unavailable == null, () -> "NodeRuntimeIT skipped: " + unavailable);
    Path dir = Files.createTempDirectory("node-runtime-it");
    Path manifest =
        Manifests.write(
            dir.resolve("functions.yaml"),
            List.of(
                Manifests.nodejs(
                    "node-cjs", "index.handler", Map.of("memoryMB", 256, "timeoutSeconds", 5)),
                Manifests.nodejs("node-esm", "app.handler", Map.of()),
                Manifests.nodejs("node-callback", "lib/callback.handler", Map.of()),
                Manifests.nodejs("node-no-module", "missing.handler", Map.of()),
                Manifests.nodejs("node-no-export", "index.nope", Map.of()),
                Manifests.nodejs("node-syntax", "bad.handler", Map.of())));
    local =
        LocalModes.start(
            dir, new PrintStream(output, true, StandardCharsets.UTF_8), manifest.toString());
    lambda = LambdaClients.of(local.gateway().baseUrl());
  }

  @AfterAll
  void stop() {
    if (local != null) {
      lambda.close();
      local.close();
    }
  }

  private InvokeResponse invoke(String function, String event) {
    return lambda.invoke(
        r ->
            r.functionName(function).logType(LogType.TAIL).payload(SdkBytes.fromUtf8String(event)));
  }

  private static JsonNode json(InvokeResponse response) throws IOException {
    return JSON.readTree(response.payload().asUtf8String());
  }

  private static String tail(InvokeResponse response) {
    return new String(Base64.getDecoder().decode(response.logResult()), StandardCharsets.UTF_8);
  }

  @Test
  void aCommonJsAsyncHandlerGetsLambdasContextAndItsDependencies() throws IOException {
    String clientContext = "{\"custom\":{\"tenant\":\"t1\"}}";
    InvokeResponse response =
        lambda.invoke(
            r ->
                r.functionName("node-cjs")
                    .logType(LogType.TAIL)
                    .clientContext(
                        Base64.getEncoder()
                            .encodeToString(clientContext.getBytes(StandardCharsets.UTF_8)))
                    .payload(SdkBytes.fromUtf8String("{\"name\":\"Ada\"}")));

    assertThat(response.functionError()).as(response.payload().asUtf8String()).isNull();
    JsonNode body = json(response);
    String id = response.responseMetadata().requestId();
    assertThat(body.get("greeting").asText())
        .as("tiny-greet from the code's node_modules")
        .isEqualTo("Hello, Ada!");
    assertThat(body.get("awsRequestId").asText()).isEqualTo(id);
    assertThat(body.get("functionName").asText()).isEqualTo("node-cjs");
    assertThat(body.get("functionVersion").asText()).isEqualTo("$LATEST");
    assertThat(body.get("memoryLimitInMB").asText()).isEqualTo("256");
    assertThat(body.get("remainingTimeInMillis").asLong()).isBetween(1L, 5000L);
    assertThat(body.get("invokedFunctionArn").asText())
        .isEqualTo("arn:aws:lambda:us-east-1:default:function:node-cjs");
    assertThat(body.get("logGroupName").asText()).isEqualTo("/aws/lambda/node-cjs");
    assertThat(body.get("logStreamName").asText()).isNotBlank();
    assertThat(body.get("clientContext").get("custom").get("tenant").asText()).isEqualTo("t1");
    assertThat(body.get("identity").isNull())
        .as("no Cognito identity: " + body.get("identity"))
        .isTrue();
    assertThat(body.get("nodeVersion").asText()).startsWith("v22.");
    assertThat(body.get("executionEnv").asText()).isEqualTo("AWS_Lambda_nodejs22.x");
    assertThat(body.get("nodePath").asText())
        .as("Lambda's NODE_PATH, the task root last")
        .startsWith("/opt/nodejs/node22/node_modules:/opt/nodejs/node_modules:")
        .endsWith(":" + body.get("taskRoot").asText());
    assertThat(tail(response))
        .as("console.log as Lambda writes it")
        .containsPattern(
            "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z\t"
                + id
                + "\tINFO\thandling \\{\"name\":\"Ada\"}");
  }

  @Test
  void moduleTopLevelCodeRunsOnceAtInit() throws IOException {
    JsonNode first = json(invoke("node-cjs", "{}"));
    JsonNode second = json(invoke("node-cjs", "{}"));

    assertThat(second.get("initializations").asInt()).isEqualTo(1);
    assertThat(second.get("initializedAt").asLong()).isEqualTo(first.get("initializedAt").asLong());
    assertThat(second.get("invocations").asInt()).isEqualTo(first.get("invocations").asInt() + 1);
  }

  @Test
  void anEsModuleHandlerImportsFromNodeModules() throws IOException {
    InvokeResponse response = invoke("node-esm", "{\"name\":\"Grace\"}");

    assertThat(response.functionError()).as(response.payload().asUtf8String()).isNull();
    assertThat(json(response).get("greeting").asText()).isEqualTo("Hello, Grace!");
  }

  @Test
  void aCallbackHandlerInAFolderFindsTheTaskRootOnNodePath() throws IOException {
    InvokeResponse response = invoke("node-callback", "{\"name\":\"Linus\"}");

    assertThat(response.functionError()).as(response.payload().asUtf8String()).isNull();
    JsonNode body = json(response);
    assertThat(body.get("module").asText()).isEqualTo("callback");
    assertThat(body.get("word").asText()).isEqualTo("hello");
    assertThat(body.get("name").asText()).isEqualTo("Linus");
  }

  @Test
  void aThrownErrorIsLambdasErrorShape() throws IOException {
    InvokeResponse response = invoke("node-cjs", "{\"fail\":\"now\"}");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.functionError()).isEqualTo("Unhandled");
    JsonNode error = json(response);
    assertThat(error.get("errorType").asText()).isEqualTo("TypeError");
    assertThat(error.get("errorMessage").asText()).isEqualTo("failing on purpose: now");
    assertThat(error.get("trace").get(0).asText()).isEqualTo("TypeError: failing on purpose: now");
    assertThat(tail(response))
        .as("the error is logged, as Lambda logs it")
        .contains("\tERROR\tInvoke Error \t", "failing on purpose: now");
  }

  @Test
  void aMissingModuleIsImportModuleErrorAtInit() throws IOException {
    JsonNode error = initError("node-no-module", "Runtime.ImportModuleError");

    assertThat(error.get("errorMessage").asText())
        .startsWith("Error: Cannot find module 'missing'");
  }

  @Test
  void aMissingExportIsHandlerNotFoundAtInit() throws IOException {
    JsonNode error = initError("node-no-export", "Runtime.HandlerNotFound");

    assertThat(error.get("errorMessage").asText())
        .isEqualTo("index.nope is undefined or not exported");
  }

  @Test
  void codeThatDoesNotParseIsUserCodeSyntaxErrorAtInit() throws IOException {
    JsonNode error = initError("node-syntax", "Runtime.UserCodeSyntaxError");

    assertThat(error.get("errorMessage").asText())
        .isEqualTo("SyntaxError: Unexpected end of input");
  }

  /** The error object of an invocation that found Init failed with {@code errorType}. */
  private JsonNode initError(String function, String errorType) throws IOException {
    InvokeResponse response = invoke(function, "{}");
    assertThat(response.functionError()).isEqualTo("Unhandled");
    assertThat(tail(response))
        .as("Lambda's REPORT of an invocation whose Init failed")
        .contains("\tStatus: error\tError Type: " + errorType);
    JsonNode error = json(response);
    assertThat(error.get("errorType").asText()).isEqualTo(errorType);
    return error;
  }
}
