package dev.klambda.function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.klambda.api.AsyncInvokeConfig;
import dev.klambda.api.Function;
import dev.klambda.api.FunctionCode;
import dev.klambda.api.FunctionSpec;
import dev.klambda.api.FunctionUrlConfig;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FunctionValidatorTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final FunctionValidator validator = new FunctionValidator(SizingPolicy.DEFAULT);

  private static Function function(String name, FunctionSpec spec) {
    Function function = new Function();
    function.setMetadata(new ObjectMetaBuilder().withName(name).build());
    function.setSpec(spec);
    return function;
  }

  private static FunctionSpec provided() {
    FunctionSpec spec = new FunctionSpec();
    spec.setRuntime("provided");
    FunctionCode.Inline inline = new FunctionCode.Inline();
    inline.setFiles(Map.of("bootstrap", "#!/bin/sh\n"));
    FunctionCode code = new FunctionCode();
    code.setInline(inline);
    spec.setCode(code);
    return spec;
  }

  private String violations(FunctionSpec spec) {
    try {
      validator.validate(function("f", spec));
      return "";
    } catch (InvalidFunctionException e) {
      return e.getMessage();
    }
  }

  @Test
  void appliesLambdasDefaults() throws Exception {
    FunctionConfig config = validator.validate(function("echo", provided()));

    assertThat(config.key()).isEqualTo("default/echo");
    assertThat(config.memoryMB()).isEqualTo(128);
    assertThat(config.timeout()).isEqualTo(Duration.ofSeconds(3));
    assertThat(config.initTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(config.reservedConcurrency()).isNull();
    assertThat(config.provisionedConcurrency()).isZero();
    assertThat(((CodeSource.Inline) config.code()).files()).containsKey("bootstrap");
  }

  @Test
  void aFunctionUrlIsOpenOrAwsIamWithSaneCors() throws Exception {
    FunctionSpec spec = provided();
    FunctionUrlConfig url = new FunctionUrlConfig();
    spec.setUrl(url);
    assertThat(validator.validate(function("web", spec)).urlPath()).isEqualTo("/url/default/web/");
    assertThat(validator.validate(function("web", spec)).url().iamAuth()).isFalse();

    url.setAuthType("AWS_IAM");
    assertThat(validator.validate(function("web", spec)).url().iamAuth()).isTrue();

    url.setAuthType("CUSTOM");
    FunctionUrlConfig.Cors cors = new FunctionUrlConfig.Cors();
    cors.setAllowOrigins(java.util.List.of("*"));
    cors.setAllowCredentials(true);
    url.setCors(cors);
    assertThat(violations(spec))
        .contains("spec.url.authType: must be NONE or AWS_IAM (got 'CUSTOM')")
        .contains(
            "spec.url.cors.allowOrigins: must name the origins when allowCredentials is true");
  }

  @Test
  void asyncInvokeConfigHasLambdasRangesAndDefaults() throws Exception {
    FunctionSpec spec = provided();
    assertThat(validator.validate(function("f", spec)).eventInvokeConfig())
        .isEqualTo(new EventInvokeConfig(2, Duration.ofHours(6), null, null));
    AsyncInvokeConfig config = new AsyncInvokeConfig();
    config.setMaximumRetryAttempts(0);
    config.setMaximumEventAgeInSeconds(120);
    spec.setAsyncInvokeConfig(config);
    assertThat(validator.validate(function("f", spec)).eventInvokeConfig())
        .isEqualTo(new EventInvokeConfig(0, Duration.ofSeconds(120), null, null));
    config.setMaximumRetryAttempts(3);
    config.setMaximumEventAgeInSeconds(30);
    assertThat(violations(spec))
        .contains("spec.asyncInvokeConfig.maximumRetryAttempts: must be between 0 and 2 (got 3)")
        .contains(
            "spec.asyncInvokeConfig.maximumEventAgeInSeconds: must be between 60 and 21600 (got 30)");
  }

  @Test
  void eventDestinationsNameOneTargetEach() throws Exception {
    FunctionSpec spec = provided();
    spec.setAsyncInvokeConfig(
        JSON.convertValue(
            Map.of(
                "destinationConfig",
                Map.of(
                    "onSuccess", Map.of("function", Map.of("name", "audit")),
                    "onFailure",
                        Map.of(
                            "sqs",
                            Map.of(
                                "queueUrl",
                                "http://q/1/failed",
                                "endpoint",
                                "http://q",
                                "credentialsSecretRef",
                                Map.of("name", "sqs-creds"))))),
            AsyncInvokeConfig.class));

    EventInvokeConfig config = validator.validate(function("f", spec)).eventInvokeConfig();

    assertThat(config.onSuccess()).isEqualTo(new Destination.ToFunction("audit"));
    assertThat(config.onFailure())
        .isEqualTo(new Destination.ToQueue("http://q/1/failed", "http://q", null, "sqs-creds"));
    spec.setAsyncInvokeConfig(
        JSON.convertValue(
            Map.of(
                "destinationConfig",
                Map.of(
                    "onSuccess",
                    Map.of(
                        "kafka",
                        Map.of("topic", "done", "authSecretRef", Map.of("name", "broker"))))),
            AsyncInvokeConfig.class));
    assertThat(violations(spec))
        .as("a Function's topic names its cluster")
        .contains(
            "spec.asyncInvokeConfig.destinationConfig.onSuccess.kafka.bootstrapServers: is required: the "
                + "topic's cluster");
  }

  @Test
  void anEventDestinationBreakingARuleIsReportedWithItsField() {
    FunctionSpec spec = provided();
    spec.setAsyncInvokeConfig(
        JSON.convertValue(
            Map.of(
                "destinationConfig",
                Map.of(
                    "onSuccess", Map.of("function", Map.of("name", "f")),
                    "onFailure",
                        Map.of(
                            "sqs",
                            Map.of("queueUrl", "http://q/1/a"),
                            "function",
                            Map.of("name", "audit")))),
            AsyncInvokeConfig.class));

    assertThat(violations(spec))
        .contains(
            "spec.asyncInvokeConfig.destinationConfig.onSuccess.function.name: must name another function: "
                + "a function's records invoking itself would never end (got 'f')")
        .contains(
            "spec.asyncInvokeConfig.destinationConfig.onFailure: must set exactly one of sqs, kafka and "
                + "function (got 2)");
    spec.setAsyncInvokeConfig(
        JSON.convertValue(
            Map.of("destinationConfig", Map.of("onFailure", Map.of("sqs", Map.of()))),
            AsyncInvokeConfig.class));
    assertThat(violations(spec))
        .contains("spec.asyncInvokeConfig.destinationConfig.onFailure.sqs.queueUrl: is required");
  }

  @Test
  void memoryFollowsTheSizingPolicy() {
    FunctionSpec spec = provided();
    spec.setMemoryMB(100);
    assertThat(violations(spec))
        .isEqualTo("spec.memoryMB: must be between 128 and 3008 MB in steps of 64 MB (got 100)");
    spec.setMemoryMB(200);
    assertThat(violations(spec)).contains("spec.memoryMB").contains("got 200");
    spec.setMemoryMB(3008);
    assertThat(violations(spec)).isEmpty();
    spec.setMemoryMB(3072);
    assertThat(violations(spec)).contains("spec.memoryMB");

    FunctionValidator todaysAws = new FunctionValidator(new SizingPolicy(128, 10240, 1, 1769));
    spec.setMemoryMB(10240);
    assertThatNoException(() -> todaysAws.validate(function("f", spec)));
  }

  private static void assertThatNoException(ThrowingRunnable runnable) {
    try {
      runnable.run();
    } catch (Exception e) {
      throw new AssertionError("unexpected " + e, e);
    }
  }

  private interface ThrowingRunnable {
    void run() throws Exception;
  }

  @Test
  void cpuIsProportionalToMemoryRoundedUp() {
    assertThat(SizingPolicy.DEFAULT.cpuMillis(1792)).isEqualTo(1000);
    assertThat(SizingPolicy.DEFAULT.cpuMillis(128)).isEqualTo(72);
    assertThat(SizingPolicy.DEFAULT.cpuMillis(3008)).isEqualTo(1679);
  }

  @Test
  void reportsEveryBrokenRuleWithItsField() {
    FunctionSpec spec = provided();
    spec.setRuntime("python3.12");
    spec.setTimeoutSeconds(901);
    spec.setReservedConcurrency(1);
    spec.setProvisionedConcurrency(2);
    FunctionSpec.FunctionEnvironment env = new FunctionSpec.FunctionEnvironment();
    env.setVariables(Map.of("AWS_REGION", "x"));
    spec.setEnvironment(env);

    assertThat(violations(spec))
        .contains(
            "spec.runtime: must be one of [java21, nodejs22.x, provided, python3.11] (got 'python3.12')")
        .contains("spec.timeoutSeconds: must be between 1 and 900 (got 901)")
        .contains("spec.provisionedConcurrency: must not exceed spec.reservedConcurrency (2 > 1)")
        .contains("spec.environment.variables[AWS_REGION]: is reserved");
  }

  @Test
  void checksTheCode() {
    FunctionSpec spec = provided();
    spec.getCode().getInline().setFiles(Map.of("run.sh", "x", "../escape", "y"));
    spec.getCode().getInline().setBinaryFiles(Map.of("lib.jar", "not base64!"));

    assertThat(violations(spec))
        .contains("spec.code.inline.files[../escape]: must be a relative path inside the task root")
        .contains("spec.code.inline.binaryFiles[lib.jar]: must be base64")
        .contains("spec.code.inline.files: must contain an executable 'bootstrap'");
  }

  @Test
  void java21NeedsAClassHandler() throws Exception {
    FunctionSpec spec = provided();
    spec.setRuntime("java21");
    spec.getCode().getInline().setFiles(null);
    spec.getCode()
        .getInline()
        .setBinaryFiles(Map.of("f.jar", Base64.getEncoder().encodeToString(new byte[] {1})));
    assertThat(violations(spec)).contains("spec.handler: must be 'package.Class::method'");

    spec.setHandler("example.Hello::handleRequest");
    CodeSource.Inline code = (CodeSource.Inline) validator.validate(function("f", spec)).code();
    assertThat(code.files().get("f.jar")).containsExactly(1);
  }

  /** Lambda's handler shapes: Python's module.function (dotted packages), Node's file.export. */
  @Test
  void pythonAndNodeHandlersHaveLambdasShapes() throws Exception {
    FunctionSpec spec = provided();
    spec.setRuntime("python3.11");
    for (String good : new String[] {"app.handler", "pkg.sub.app.handler", "src/app.handler"}) {
      spec.setHandler(good);
      assertThat(validator.validate(function("f", spec)).handler()).isEqualTo(good);
    }
    for (String bad : new String[] {"handler", "app.", "app.my-handler", "1app.handler"}) {
      spec.setHandler(bad);
      assertThat(violations(spec))
          .as(bad)
          .contains("spec.handler: must be 'module.function' for python3.11");
    }
    spec.setRuntime("nodejs22.x");
    for (String good :
        new String[] {"index.handler", "src/app.handler", "index.api.get", "my-file.$handler"}) {
      spec.setHandler(good);
      assertThat(validator.validate(function("f", spec)).handler()).isEqualTo(good);
    }
    for (String bad : new String[] {"index", "index.", "index.1handler"}) {
      spec.setHandler(bad);
      assertThat(violations(spec))
          .as(bad)
          .contains("spec.handler: must be 'file.export' for nodejs22.x");
    }
  }

  @Test
  void takesExactlyOneCodeSource() throws Exception {
    FunctionSpec spec = provided();
    spec.getCode().setImage("registry.example/fn:1");
    assertThat(violations(spec))
        .isEqualTo("spec.code: must set exactly one of inline, configMap and image (got 2)");

    spec.getCode().setInline(null);
    assertThat(validator.validate(function("f", spec)).code())
        .isEqualTo(new CodeSource.FromImage("registry.example/fn:1"));
  }

  @Test
  void namesMustBeDnsLabels() {
    assertThatThrownBy(() -> validator.validate(function("Hello_World", provided())))
        .isInstanceOf(InvalidFunctionException.class)
        .hasMessageContaining("metadata.name: must be a DNS label");
  }
}
