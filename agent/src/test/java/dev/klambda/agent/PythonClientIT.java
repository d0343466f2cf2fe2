package dev.klambda.agent;

import static dev.klambda.agent.AgentProtocol.CLIENT_CONTEXT;
import static dev.klambda.agent.AgentProtocol.COGNITO_IDENTITY;
import static dev.klambda.agent.AgentProtocol.LOG_TYPE;
import static dev.klambda.agent.AgentProtocol.REQUEST_ID;
import static dev.klambda.agent.AgentProtocol.TRACE_ID;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.klambda.agent.AgentProcess.Invoked;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The python3.11 runtime client against the agent's Runtime API, point by point of awslambdaric's
 * contract: the context object, the headers of /next, error objects, Init errors, the log. Each
 * test runs with klambda's client and, where the machine's python3 can import it, with AWS's
 * awslambdaric (the agent starts whichever the agent home's runtimes/python holds); without it
 * those runs are skipped with the reason.
 */
@Timeout(value = 30, unit = SECONDS)
class PythonClientIT {
  /** The runtime's PATH: the machine's own python3, where pip would have put awslambdaric. */
  private static final String PATH = "/usr/local/bin:/usr/bin:/bin";

  /**
   * A function with a dependency beside it and one in python/, as Lambda's code folder has them.
   */
  private static final String APP =
      """
      import logging
      import os
      import sys

      import beside
      import layered

      INITS = []
      INITS.append("init")
      print("init ran")
      logger = logging.getLogger()
      logger.setLevel(logging.INFO)


      def context(event, context):
          logger.info("info from %s", "logging")
          print("printed by the handler")
          context.log("a record of\\ntwo lines from context.log\\n")
          cc = context.client_context
          return {
              "event": event.get("name"),
              "aws_request_id": context.aws_request_id,
              "function_name": context.function_name,
              "function_version": context.function_version,
              "memory_limit_in_mb": context.memory_limit_in_mb,
              "remaining_within_timeout": 0 < context.get_remaining_time_in_millis() <= 3000,
              "invoked_function_arn": context.invoked_function_arn,
              "log_group_name": context.log_group_name,
              "log_stream_name": context.log_stream_name,
              "client_custom": cc.custom["team"] if cc else None,
              "client_app_title": cc.client.app_title if cc and cc.client else None,
              "cognito_identity_id": context.identity.cognito_identity_id,
              "trace_id": os.environ.get("_X_AMZN_TRACE_ID"),
              "inits": len(INITS),
              "dependencies": beside.NAME + "+" + layered.NAME,
              "task_root_on_path": os.environ["LAMBDA_TASK_ROOT"] in sys.path,
          }


      def fail(event, context):
          raise ValueError("failing on purpose")
      """;

  record Client(String name, Path agentHome, String unavailable) {
    @Override
    public String toString() {
      return name;
    }
  }

  @TempDir Path dir;
  private AgentProcess agent;

  @AfterEach
  void stopAgent() throws InterruptedException {
    if (agent != null) {
      agent.close();
    }
  }

  static Stream<Client> clients() throws IOException, InterruptedException {
    return Stream.of(new Client("klambda", null, null), awslambdaric());
  }

  /**
   * An agent home whose runtimes/python holds the machine's awslambdaric (and its native
   * runtime_client), or why there is none.
   */
  private static Client awslambdaric() throws IOException, InterruptedException {
    Path python = PythonRuntime.interpreter(PATH);
    if (python == null) {
      return new Client("awslambdaric", null, "no python3 on " + PATH);
    }
    Process probe =
        new ProcessBuilder(
                python.toString(),
                "-c",
                "import awslambdaric, runtime_client; print(awslambdaric.__path__[0]); print(runtime_client.__file__)")
            .redirectErrorStream(true)
            .start();
    List<String> lines = new String(probe.getInputStream().readAllBytes()).lines().toList();
    if (probe.waitFor() != 0) {
      return new Client(
          "awslambdaric",
          null,
          "awslambdaric is not installed for "
              + python
              + " (pip install awslambdaric where PyPI is reachable): "
              + String.join(" ", lines));
    }
    Path home = Files.createTempDirectory("klambda-awslambdaric-home");
    Path client = Files.createDirectories(home.resolve("runtimes/python"));
    Files.createDirectories(home.resolve("runtimes/java21"));
    for (String installed : lines) {
      Path path = Path.of(installed);
      Files.createSymbolicLink(client.resolve(path.getFileName()), path);
    }
    return new Client("awslambdaric", home, null);
  }

  private AgentProcess.Builder function(Client client, String handler) {
    assumeTrue(
        client.unavailable() == null, () -> client.name() + " skipped: " + client.unavailable());
    AgentProcess.Builder builder =
        AgentProcess.builder(dir, "python-" + client.name() + "-" + handler)
            .env("KLAMBDA_RUNTIME", "python3.11")
            .env("KLAMBDA_HANDLER", handler)
            .env("PATH", PATH)
            .file("app.py", APP)
            .file("beside.py", "NAME = 'beside'\n")
            .file("python/layered/__init__.py", "NAME = 'layered'\n");
    if (client.agentHome() != null) {
      builder.env(
          "KLAMBDA_JAVA_RUNTIME_CLASSPATH",
          client.agentHome().resolve("runtimes/java21").toString());
    }
    return builder;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("clients")
  void contextObjectHeadersAndDependenciesAreLambdas(Client client) throws Exception {
    agent = function(client, "app.context").start();
    assertThat(agent.awaitInitEnd().statusCode()).as(agent.log()).isEqualTo(200);

    Invoked first =
        agent.invoke(
            "{\"name\":\"Ada\"}",
            REQUEST_ID,
            "r-context",
            TRACE_ID,
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
            CLIENT_CONTEXT,
            "{\"custom\":{\"team\":\"blue\"},\"client\":{\"app_title\":\"klambda\"}}",
            COGNITO_IDENTITY,
            "{\"cognitoIdentityId\":\"us-east-1:abc\",\"cognitoIdentityPoolId\":\"us-east-1:pool\"}");
    Invoked second = agent.invoke("{\"name\":\"Bob\"}", REQUEST_ID, "r-second");

    assertThat(first.outcome()).as(first.body()).isEqualTo("success");
    String body = first.body();
    assertThat(field(body, "event")).isEqualTo("\"Ada\"");
    assertThat(field(body, "aws_request_id")).isEqualTo("\"r-context\"");
    assertThat(field(body, "function_name")).isEqualTo("\"test-function\"");
    assertThat(field(body, "function_version")).isEqualTo("\"$LATEST\"");
    assertThat(field(body, "memory_limit_in_mb"))
        .as("a string, as awslambdaric has it")
        .isEqualTo("\"128\"");
    assertThat(field(body, "remaining_within_timeout")).isEqualTo("true");
    assertThat(field(body, "invoked_function_arn"))
        .isEqualTo("\"arn:aws:lambda:us-east-1:default:function:test-function\"");
    assertThat(field(body, "log_group_name")).isEqualTo("\"/aws/lambda/test-function\"");
    assertThat(field(body, "log_stream_name")).startsWith("\"test-function/");
    assertThat(field(body, "client_custom")).isEqualTo("\"blue\"");
    assertThat(field(body, "client_app_title")).isEqualTo("\"klambda\"");
    assertThat(field(body, "cognito_identity_id")).isEqualTo("\"us-east-1:abc\"");
    assertThat(field(body, "trace_id"))
        .isEqualTo(
            "\"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1\"");
    assertThat(field(body, "dependencies")).isEqualTo("\"beside+layered\"");
    assertThat(field(body, "task_root_on_path")).isEqualTo("true");
    assertThat(field(body, "inits")).isEqualTo("1");
    assertThat(field(second.body(), "inits"))
        .as("the module's top-level code ran once, at Init")
        .isEqualTo("1");
    assertThat(field(second.body(), "client_custom")).isEqualTo("null");
    assertThat(field(second.body(), "cognito_identity_id")).isEqualTo("null");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("clients")
  void printIsRawLoggingHasLambdasFormatAndContextLogIsOneRecord(Client client) throws Exception {
    agent = function(client, "app.context").start();

    Invoked answer = agent.invoke("{}", REQUEST_ID, "r-logs", LOG_TYPE, "Tail");

    assertThat(answer.outcome()).isEqualTo("success");
    List<String> tail = List.of(answer.logTail().split("\n"));
    assertThat(tail).contains("printed by the handler", "a record of\rtwo lines from context.log");
    assertThat(tail)
        .anyMatch(
            line ->
                line.matches(
                    "\\[INFO]\t\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z\tr-logs\tinfo from logging"));
    assertThat(agent.log())
        .as("top-level code ran at Init, before the first START")
        .containsSubsequence("init ran", "START RequestId: r-logs");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("clients")
  void anExceptionIsLambdasErrorObjectAndOneLogRecord(Client client) throws Exception {
    agent = function(client, "app.fail").start();

    Invoked failed = agent.invoke("{}", REQUEST_ID, "r-fail", LOG_TYPE, "Tail");

    assertThat(failed.outcome()).isEqualTo("error");
    assertThat(failed.errorType()).isEqualTo("ValueError");
    String body = failed.body();
    assertThat(field(body, "errorMessage")).isEqualTo("\"failing on purpose\"");
    assertThat(field(body, "errorType")).isEqualTo("\"ValueError\"");
    assertThat(field(body, "requestId")).isEqualTo("\"r-fail\"");
    assertThat(body)
        .containsPattern(
            "\"stackTrace\":\\s*\\[\"  File \\\\\""
                + Pattern.quote(agent.taskRoot().resolve("app.py").toString())
                + "\\\\\", line \\d+, in fail\\\\n");
    assertThat(failed.logTail().split("\n"))
        .as("the error and its trace are one record")
        .anyMatch(
            line ->
                line.startsWith(
                        "[ERROR] ValueError: failing on purpose\rTraceback (most recent call last):\r")
                    && line.contains("in fail"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("clients")
  void aModuleThatIsNotThereIsAnImportModuleErrorAtInit(Client client) throws Exception {
    agent = function(client, "nothere.handler").start();

    assertInitError(
        "Runtime.ImportModuleError",
        "Unable to import module 'nothere': No module named 'nothere'");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("clients")
  void aFunctionThatIsNotThereIsHandlerNotFoundAtInit(Client client) throws Exception {
    agent = function(client, "app.nope").start();

    assertInitError("Runtime.HandlerNotFound", "Handler 'nope' missing on module 'app'");
    assertThat(agent.log())
        .as("the module was imported: its top-level code ran")
        .contains("init ran");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("clients")
  void aSyntaxErrorIsUserCodeSyntaxErrorAtInit(Client client) throws Exception {
    agent =
        function(client, "broken.handler").file("broken.py", "x = 1\n\ndef handler(:\n").start();

    assertInitError(
        "Runtime.UserCodeSyntaxError",
        "Syntax error in module 'broken': invalid syntax (broken.py, line 3)");
  }

  private void assertInitError(String type, String message) throws Exception {
    HttpResponse<String> ready = agent.awaitInitEnd();
    assertThat(ready.statusCode()).as(ready.body()).isEqualTo(500);
    Invoked failed = agent.invoke("{}", REQUEST_ID, "r-init");
    assertThat(failed.errorType()).isEqualTo(type);
    assertThat(field(failed.body(), "errorType")).isEqualTo("\"" + type + "\"");
    assertThat(field(failed.body(), "errorMessage")).isEqualTo("\"" + message + "\"");
    agent.awaitLog("[ERROR] " + type + ": " + message, "INIT_REPORT", "Error Type: " + type);
  }

  /**
   * The raw JSON value of {@code name} in a flat object (a string with its quotes, a number, ...).
   */
  private static String field(String json, String name) {
    Matcher value =
        Pattern.compile("\"" + Pattern.quote(name) + "\":\\s*(\"(?:[^\"\\\\]|\\\\.)*\"|[^,}]+)")
            .matcher(json);
    assertThat(value.find()).as(name + " in " + json).isTrue();
    return value.group(1).strip();
  }
}
