package dev.klambda.local;

import static dev.klambda.testing.Manifests.bashRuntime;
import static dev.klambda.testing.Manifests.provided;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.klambda.testing.LambdaClients;
import dev.klambda.testing.LocalModes;
import dev.klambda.testing.Manifests;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.FunctionConfiguration;
import software.amazon.awssdk.services.lambda.model.GetFunctionResponse;
import software.amazon.awssdk.services.lambda.model.InvalidRequestContentException;
import software.amazon.awssdk.services.lambda.model.LambdaException;
import software.amazon.awssdk.services.lambda.model.ListFunctionsResponse;
import software.amazon.awssdk.services.lambda.model.ResourceNotFoundException;
import software.amazon.awssdk.services.lambda.model.Runtime;

/**
 * Lambda's read operations through the real AWS SDK: GetFunction, GetFunctionConfiguration and
 * ListFunctions (paged) in Lambda's shapes, from the manifests' Functions; writes say they are
 * kubectl's; with --auth sigv4 a key sees and lists only what it may.
 */
class FunctionReadApiIT {
  private static final String ECHO = bashRuntime("", "  respond \"$1\" \"$2\"");
  @TempDir Path dir;
  private LocalMode local;

  private void start(String... auth) throws Exception {
    Path manifest =
        Manifests.write(
            dir.resolve("functions.yaml"),
            List.of(
                provided(
                    "alpha",
                    ECHO,
                    Map.of(
                        "memoryMB",
                        256,
                        "timeoutSeconds",
                        7,
                        "reservedConcurrency",
                        3,
                        "environment",
                        Map.of("variables", Map.of("GREETING", "hi")))),
                provided("beta", ECHO, Map.of()),
                provided("gamma", ECHO, Map.of()),
                Manifests.inNamespace("team-b", provided("delta", ECHO, Map.of())),
                Manifests.accessKey(
                    "default", "reader", "AKIDDEFAULT", "default-secret", "reader")));
    List<String> args = new ArrayList<>(List.of(auth));
    args.add(manifest.toString());
    local = LocalModes.start(dir, LocalModes.discarded(), args.toArray(String[]::new));
  }

  @AfterEach
  void stop() {
    if (local != null) {
      local.close();
    }
  }

  @Test
  void getFunctionAndItsConfigurationInLambdasShapes() throws Exception {
    start();
    try (LambdaClient lambda = LambdaClients.of(local.gateway().baseUrl())) {
      GetFunctionResponse function = lambda.getFunction(r -> r.functionName("alpha"));
      FunctionConfiguration config = function.configuration();
      assertThat(config.functionName()).isEqualTo("alpha");
      assertThat(config.functionArn()).isEqualTo("arn:aws:lambda:us-east-1:default:function:alpha");
      assertThat(config.runtime()).isEqualTo(Runtime.PROVIDED);
      assertThat(config.memorySize()).isEqualTo(256);
      assertThat(config.timeout()).isEqualTo(7);
      assertThat(config.environment().variables()).containsEntry("GREETING", "hi");
      assertThat(config.stateAsString()).isEqualTo("Active");
      assertThat(config.lastUpdateStatusAsString()).isEqualTo("Successful");
      assertThat(config.codeSize()).isEqualTo(ECHO.length());
      assertThat(config.codeSha256()).isNotBlank();
      assertThat(function.concurrency().reservedConcurrentExecutions()).isEqualTo(3);
      var alone = lambda.getFunctionConfiguration(r -> r.functionName("alpha"));
      assertThat(alone.functionArn()).isEqualTo(config.functionArn());
      assertThat(alone.codeSha256()).isEqualTo(config.codeSha256());
      assertThat(alone.memorySize()).isEqualTo(256);

      assertThatThrownBy(() -> lambda.getFunction(r -> r.functionName("nope")))
          .isInstanceOf(ResourceNotFoundException.class);
    }
  }

  @Test
  void listFunctionsPagesInAStableOrder() throws Exception {
    start();
    try (LambdaClient lambda = LambdaClients.of(local.gateway().baseUrl())) {
      ListFunctionsResponse first = lambda.listFunctions(r -> r.maxItems(2));
      assertThat(first.functions())
          .extracting(FunctionConfiguration::functionName)
          .containsExactly("alpha", "beta");
      assertThat(first.nextMarker()).isNotBlank();
      ListFunctionsResponse second =
          lambda.listFunctions(r -> r.maxItems(2).marker(first.nextMarker()));
      assertThat(second.functions())
          .extracting(FunctionConfiguration::functionName)
          .containsExactly("gamma", "delta");
      assertThat(second.nextMarker()).isNull();
      assertThat(lambda.listFunctionsPaginator(r -> r.maxItems(1)).functions())
          .extracting(FunctionConfiguration::functionArn)
          .hasSize(4)
          .contains("arn:aws:lambda:us-east-1:team-b:function:delta");
    }
  }

  @Test
  void writesSayTheyAreKubectls() throws Exception {
    start();
    try (LambdaClient lambda = LambdaClients.of(local.gateway().baseUrl())) {
      assertThatThrownBy(
              () ->
                  lambda.createFunction(
                      r ->
                          r.functionName("new")
                              .role("arn:aws:iam::1:role/x")
                              .runtime(Runtime.PROVIDED)
                              .handler("h")
                              .code(
                                  c ->
                                      c.zipFile(
                                          software.amazon.awssdk.core.SdkBytes.fromUtf8String(
                                              "zip")))))
          .isInstanceOfSatisfying(
              InvalidRequestContentException.class,
              e -> assertThat(e.awsErrorDetails().errorMessage()).contains("kubectl apply"));
      assertThatThrownBy(() -> lambda.deleteFunction(r -> r.functionName("alpha")))
          .isInstanceOfSatisfying(
              InvalidRequestContentException.class,
              e -> assertThat(e.awsErrorDetails().errorMessage()).contains("kubectl apply"));
    }
  }

  @Test
  void withSigv4AKeyReadsAndListsOnlyItsNamespace() throws Exception {
    start("--auth", "sigv4");
    try (LambdaClient lambda =
        LambdaClients.of(local.gateway().baseUrl(), "AKIDDEFAULT", "default-secret")) {
      assertThat(lambda.listFunctions().functions())
          .extracting(FunctionConfiguration::functionName)
          .containsExactly("alpha", "beta", "gamma");
      assertThat(lambda.getFunction(r -> r.functionName("beta")).configuration().functionName())
          .isEqualTo("beta");
      assertThatThrownBy(
              () ->
                  lambda.getFunction(
                      r -> r.functionName("arn:aws:lambda:us-east-1:team-b:function:delta")))
          .isInstanceOfSatisfying(
              LambdaException.class,
              e -> {
                assertThat(e.awsErrorDetails().errorCode()).isEqualTo("AccessDeniedException");
                assertThat(e.awsErrorDetails().errorMessage()).contains("lambda:GetFunction");
              });
    }
    try (LambdaClient anonymous = LambdaClients.of(local.gateway().baseUrl(), "AKIDNOBODY", "x")) {
      assertThatThrownBy(anonymous::listFunctions)
          .isInstanceOfSatisfying(
              LambdaException.class,
              e ->
                  assertThat(e.awsErrorDetails().errorCode())
                      .isEqualTo("UnrecognizedClientException"));
    }
  }
}
