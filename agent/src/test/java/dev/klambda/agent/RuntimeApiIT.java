package dev.klambda.agent;

import static dev.klambda.agent.AgentProtocol.CLIENT_CONTEXT;
import static dev.klambda.agent.AgentProtocol.LOG_TYPE;
import static dev.klambda.agent.AgentProtocol.REQUEST_ID;
import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.klambda.agent.AgentProcess.Invoked;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent as a process, against the Lambda Runtime API and Extensions API as AWS documents them:
 * bash + curl runtimes and extensions in the task root, or the test itself acting as the runtime.
 */
@Timeout(value = 20, unit = SECONDS)
class RuntimeApiIT {
  /**
   * A custom runtime in bash and curl, the loop of AWS's custom runtime tutorial: take the next
   * event, log a line, post what {@code respond} prints. An event can ask it to misbehave first:
   * {@code {"sleep":N}} sleeps N seconds, {@code {"exit":N}} exits with status N.
   */
  private static String runtime(String respond) {
    return BashRuntime.loop(
        """
        sleep_re='"sleep": *([0-9.]+)'
        exit_re='"exit": *([0-9]+)'
        respond() {
          RESPOND
        }"""
            .replace("RESPOND", respond),
        """
          echo "handling $request_id"
          if [[ $event =~ $sleep_re ]]; then sleep "${BASH_REMATCH[1]}"; fi
          if [[ $event =~ $exit_re ]]; then exit "${BASH_REMATCH[1]}"; fi
          respond | curl -sS -X POST "$api/invocation/$request_id/response" --data-binary @- >/dev/null""");
  }

  /** Answers with the event. */
  private static final String ECHO = runtime("printf '%s' \"$event\"");

  private static final String[] LAMBDA_VARIABLES = {
    "AWS_LAMBDA_RUNTIME_API",
    "_HANDLER",
    "LAMBDA_TASK_ROOT",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_REGION",
    "TZ",
    "GREETING"
  };

  /**
   * Answers {"event":EVENT,"NAME":"VALUE",...} with the variables above as the runtime sees them.
   */
  private static final String ECHO_WITH_ENVIRONMENT =
      runtime(
          """
      printf '{"event":%s' "$event"
      for name in NAMES; do printf ',"%s":"%s"' "$name" "${!name-}"; done
      printf '}'"""
              .replace("NAMES", String.join(" ", LAMBDA_VARIABLES)));

  /** Never calls the Runtime API: Init stays open, or the test takes the events itself. */
  private static final String IDLE =
      """
      #!/bin/bash
      exec sleep 600
      """;

  private static final String CONFIG_ERROR =
      "{\"errorMessage\":\"TABLE_NAME is not set\",\"errorType\":\"Runtime.ConfigInvalid\"}";

  /** Reports an Init error to the Runtime API, then exits, as a runtime that cannot start does. */
  private static final String FAILING_INIT =
      """
      #!/bin/bash
      curl -sS -X POST "http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/init/error" \\
        -H 'Lambda-Runtime-Function-Error-Type: Runtime.ConfigInvalid' -d 'ERROR'
      exit 1
      """
          .replace("ERROR", CONFIG_ERROR);

  /**
   * An external extension: registers for INVOKE and SHUTDOWN, appends each event's type to
   * $EVENTS_FILE.
   */
  private static final String EXTENSION =
      """
      #!/bin/bash
      set -euo pipefail
      api="http://${AWS_LAMBDA_RUNTIME_API}/2020-01-01/extension"
      headers="$(mktemp)"
      curl -sS -D "$headers" -X POST "$api/register" -H 'Lambda-Extension-Name: ext1' \\
        -d '{"events":["INVOKE","SHUTDOWN"]}' >/dev/null
      id="$(grep -Fi Lambda-Extension-Identifier "$headers" | tr -d '[:space:]' | cut -d: -f2)"
      rm -f "$headers"
      type_re='"eventType": *"([A-Z]+)"'
      while true; do
        event="$(curl -sS -H "Lambda-Extension-Identifier: $id" "$api/event/next")"
        [[ $event =~ $type_re ]]
        echo "${BASH_REMATCH[1]}" >> "$EVENTS_FILE"
        if [[ ${BASH_REMATCH[1]} == SHUTDOWN ]]; then exit 0; fi
      done
      """;

  @TempDir Path dir;
  private String testName;
  private AgentProcess agent;

  @BeforeEach
  void name(TestInfo info) {
    testName = info.getTestMethod().orElseThrow().getName();
  }

  @AfterEach
  void stopAgent() throws InterruptedException {
    if (agent != null) {
      agent.close();
    }
  }

  // ---- a bash runtime ----

  /**
   * A runtime that answers, then logs and works on before asking for the next event (as the Java
   * runtime client logs a handler's exception after posting it).
   */
  private static final String LATE_LOGGER =
      BashRuntime.loop(
          "",
          """
          printf '%s' "$event" | curl -sS -X POST "$api/invocation/$request_id/response" --data-binary @- >/dev/null
          echo "after the answer of $request_id"
          sleep 0.3""");

  @Test
  void theInvokePhaseEndsWhenTheRuntimeAsksForTheNextEvent() throws Exception {
    agent = agent(LATE_LOGGER).start();
    assertThat(agent.awaitInitEnd().statusCode()).isEqualTo(200);

    // the caller gets the answer at /response, measured so far; the phase is still open
    Invoked first = agent.invoke("{}", REQUEST_ID, "late-1");
    assertSuccess(first);
    assertThat(first.header(AgentProtocol.PHASE)).isEqualTo(AgentProtocol.PHASE_OPEN_VALUE);
    long answeredMicros = Long.parseLong(first.header(AgentProtocol.DURATION_MICROS));

    // the whole phase, once the runtime is back in /next: what it logged after answering is its
    Settlement settlement = agent.settled(Duration.ofSeconds(5)).getFirst();
    assertThat(settlement.requestId()).isEqualTo("late-1");
    assertThat(settlement.answeredMicros()).isEqualTo(answeredMicros);
    assertThat(settlement.durationMicros()).isGreaterThanOrEqualTo(300_000);
    agent.awaitLog(
        "START RequestId: late-1",
        "after the answer of late-1",
        "END RequestId: late-1",
        "REPORT RequestId: late-1");
    assertThat(reportDuration(agent.log(), "late-1")).isGreaterThanOrEqualTo(300.0);
    assertThat(agent.settled(Duration.ZERO)).as("each settlement is given once").isEmpty();

    // a settlement rides on the next answer when one comes
    agent.invoke("{}", REQUEST_ID, "late-2");
    Invoked third = agent.invoke("{}", REQUEST_ID, "late-3");
    assertThat(Settlement.decode(third.header(AgentProtocol.SETTLED)))
        .extracting(Settlement::requestId)
        .containsExactly("late-2");

    // a log tail ends with END and REPORT: that answer waits for the end of the phase
    Invoked tailed = agent.invoke("{}", REQUEST_ID, "late-4", LOG_TYPE, "Tail");
    assertSuccess(tailed);
    assertThat(tailed.header(AgentProtocol.PHASE)).isNull();
    assertThat(Long.parseLong(tailed.header(AgentProtocol.DURATION_MICROS)))
        .isGreaterThanOrEqualTo(300_000);
    assertThat(tailed.logTail())
        .containsSubsequence(
            "START RequestId: late-4",
            "after the answer of late-4",
            "END RequestId: late-4",
            "REPORT RequestId: late-4")
        .doesNotContain("late-3");
  }

  /**
   * A runtime that answers and then does not come back by the function's timeout: its caller had
   * its answer, but the phase ends at the deadline with a timeout in REPORT, and the runtime is
   * reset for the next invocation.
   */
  @Test
  void aPhaseStillOpenAtTheDeadlineEndsThereAndTheRuntimeIsReset() throws Exception {
    agent =
        agent(
                BashRuntime.loop(
                    "",
                    """
          printf '%s' "$event" | curl -sS -X POST "$api/invocation/$request_id/response" --data-binary @- >/dev/null
          [[ "$event" == *linger* ]] && sleep 30"""))
            .env("KLAMBDA_TIMEOUT_MS", "1000")
            .start();
    assertThat(agent.awaitInitEnd().statusCode()).isEqualTo(200);

    Invoked answered = agent.invoke("{\"linger\":true}", REQUEST_ID, "lingers");
    assertSuccess(answered);
    assertThat(answered.header(AgentProtocol.PHASE)).isEqualTo(AgentProtocol.PHASE_OPEN_VALUE);

    agent.awaitLog("REPORT RequestId: lingers");
    String report =
        agent
            .log()
            .lines()
            .filter(l -> l.startsWith("REPORT RequestId: lingers"))
            .findFirst()
            .orElseThrow();
    assertThat(report).endsWith("\tStatus: timeout");
    assertThat(reportDuration(agent.log(), "lingers")).isBetween(1000.0, 10_000.0);
    assertThat(agent.settled(Duration.ofSeconds(5)))
        .extracting(Settlement::requestId)
        .containsExactly("lingers");

    assertEchoes("{\"n\":2}");
  }

  /** The Duration of the request's REPORT line, in ms. */
  private static double reportDuration(String log, String requestId) {
    String report =
        log.lines()
            .filter(line -> line.startsWith("REPORT RequestId: " + requestId + "\t"))
            .findFirst()
            .orElseThrow();
    java.util.regex.Matcher duration =
        java.util.regex.Pattern.compile("Duration: ([0-9.]+) ms").matcher(report);
    assertThat(duration.find()).isTrue();
    return Double.parseDouble(duration.group(1));
  }

  @Test
  void echoRuntimeReturnsTheEventAndSeesLambdasEnvironment() throws Exception {
    agent =
        agent(ECHO_WITH_ENVIRONMENT)
            .env("KLAMBDA_HANDLER", "function.handler")
            .env("GREETING", "hello from the test")
            .start();

    Invoked answer = agent.invoke("{\"hello\":\"world\"}");

    assertSuccess(answer);
    assertThat(answer.body()).startsWith("{\"event\":{\"hello\":\"world\"},");
    Map<String, String> expected = new LinkedHashMap<>();
    expected.put("AWS_LAMBDA_RUNTIME_API", agent.runtimeApi());
    expected.put("_HANDLER", "function.handler");
    expected.put("LAMBDA_TASK_ROOT", agent.taskRoot().toString());
    expected.put("AWS_LAMBDA_FUNCTION_NAME", "test-function");
    expected.put("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128");
    expected.put("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST");
    expected.put("AWS_REGION", "us-east-1");
    expected.put("TZ", ":UTC");
    expected.put("GREETING", "hello from the test");
    assertThat(expected.keySet()).containsExactly(LAMBDA_VARIABLES);
    expected.forEach(
        (name, value) -> assertThat(answer.body()).contains("\"" + name + "\":\"" + value + "\""));
  }

  // ---- the test as the runtime ----

  @Test
  void nextHandsOutTheEventWithLambdasHeadersAndTheResponseEndsTheInvocation() throws Exception {
    agent = agent(IDLE).start();
    String clientContext = "{\"custom\":{\"tenant\":\"t1\"},\"env\":{},\"client\":{}}";

    TakenEvent taken =
        invokeAndTakeEvent("{\"n\":1}", REQUEST_ID, "request-1", CLIENT_CONTEXT, clientContext);

    HttpResponse<String> event = taken.event();
    assertThat(event.statusCode()).isEqualTo(200);
    assertThat(event.body()).isEqualTo("{\"n\":1}");
    assertThat(header(event, "Lambda-Runtime-Aws-Request-Id")).isEqualTo("request-1");
    assertThat(Long.parseLong(header(event, "Lambda-Runtime-Deadline-Ms")))
        .isBetween(taken.invokedAtMillis() + 3000, taken.takenAtMillis() + 3000);
    assertThat(header(event, "Lambda-Runtime-Invoked-Function-Arn"))
        .matches("arn:aws:lambda:us-east-1:[^:]+:function:test-function");
    assertThat(header(event, "Lambda-Runtime-Trace-Id"))
        .matches("Root=1-[0-9a-f]{8}-[0-9a-f]{24}(;.*)?");
    assertThat(header(event, "Lambda-Runtime-Client-Context")).isEqualTo(clientContext);

    assertThat(agent.postRuntime("invocation/WRONGID/response", bytes("{}")).statusCode())
        .isEqualTo(400);
    assertThat(taken.answer()).isNotDone();
    assertThat(
            agent.postRuntime("invocation/request-1/response", bytes("{\"ok\":true}")).statusCode())
        .isEqualTo(202);

    Invoked answer = taken.answer().get(5, SECONDS);
    assertSuccess(answer);
    assertThat(answer.body()).isEqualTo("{\"ok\":true}");
  }

  @Test
  void responseOverSixMegabytesIs413AndAFunctionError() throws Exception {
    agent = agent(IDLE).start();
    TakenEvent taken = invokeAndTakeEvent("{}");
    byte[] tooLarge = new byte[6 * 1024 * 1024 + 1];
    Arrays.fill(tooLarge, (byte) 'a');

    HttpResponse<String> posted =
        agent.postRuntime("invocation/" + taken.requestId() + "/response", tooLarge);

    assertThat(posted.statusCode()).isEqualTo(413);
    Invoked answer = taken.answer().get(5, SECONDS);
    assertThat(answer.status()).isEqualTo(200);
    assertThat(answer.outcome()).isEqualTo("error");
    assertThat(answer.errorType()).isEqualTo("Function.ResponseSizeTooLarge");
    assertThat(answer.body()).contains("\"errorType\":\"Function.ResponseSizeTooLarge\"");
  }

  @Test
  void invocationErrorIsPassedOnAsPosted() throws Exception {
    agent = agent(IDLE).start();
    TakenEvent taken = invokeAndTakeEvent("{}");
    String error =
        "{\"errorMessage\":\"no such order\",\"errorType\":\"OrderNotFound\",\"stackTrace\":[]}";

    HttpResponse<String> posted =
        agent.postRuntime(
            "invocation/" + taken.requestId() + "/error",
            bytes(error),
            "Lambda-Runtime-Function-Error-Type",
            "OrderNotFound");

    assertThat(posted.statusCode()).isEqualTo(202);
    Invoked answer = taken.answer().get(5, SECONDS);
    assertThat(answer.status()).isEqualTo(200);
    assertThat(answer.outcome()).isEqualTo("error");
    assertThat(answer.errorType()).isEqualTo("OrderNotFound");
    assertThat(answer.body()).isEqualTo(error);
    assertThat(header(taken.event(), "Lambda-Runtime-Client-Context")).isNull();
  }

  // ---- Init failures ----

  @Test
  void initErrorPostedByTheRuntimeFailsInit() throws Exception {
    agent = agent(FAILING_INIT).start();

    HttpResponse<String> ready = agent.awaitInitEnd();
    assertThat(ready.statusCode()).isEqualTo(500);
    assertThat(ready.body()).contains("Runtime.ConfigInvalid");

    Invoked answer = agent.invoke("{}");
    assertInitError(answer, "Runtime.ConfigInvalid");
    assertThat(answer.body()).isEqualTo(CONFIG_ERROR);
  }

  @Test
  void bootstrapExitingDuringInitIsAnExitError() throws Exception {
    agent = agent("#!/bin/bash\nexit 3\n").start();

    assertThat(agent.awaitInitEnd().statusCode()).isEqualTo(500);

    Invoked answer = agent.invoke("{}", REQUEST_ID, "init-exit");
    assertInitError(answer, "Runtime.ExitError");
    // as Lambda words it, for Init as for an invocation
    assertThat(answer.body())
        .isEqualTo(
            "{\"errorMessage\":\"RequestId: init-exit Error: Runtime exited with error: "
                + "exit status 3\",\"errorType\":\"Runtime.ExitError\"}");
    assertThat(agent.log())
        .contains(
            "INIT_REPORT Init Duration: ",
            "\tPhase: init\tStatus: error\tError Type: Runtime.ExitError");
  }

  @Test
  void noBootstrapIsAnInvalidEntrypoint() throws Exception {
    agent = AgentProcess.builder(dir, testName).start();

    assertThat(agent.awaitInitEnd().statusCode()).isEqualTo(500);

    Invoked answer = agent.invoke("{}", REQUEST_ID, "no-bootstrap");
    assertInitError(answer, "Runtime.InvalidEntrypoint");
    assertThat(answer.body())
        .isEqualTo(
            "{\"errorMessage\":\"RequestId: no-bootstrap Error: Couldn't find valid "
                + "bootstrap(s): ["
                + agent.taskRoot().resolve("bootstrap")
                + "]\",\"errorType\":\"Runtime.InvalidEntrypoint\"}");
  }

  @Test
  void initLongerThanTheInitTimeoutIsSandboxTimedout() throws Exception {
    agent = agent(IDLE).env("KLAMBDA_INIT_TIMEOUT_MS", "1000").start();

    assertThat(agent.awaitInitEnd().statusCode()).isEqualTo(500);

    Invoked answer = agent.invoke("{}", REQUEST_ID, "init-slow");
    assertInitError(answer, "Sandbox.Timedout");
    assertThat(answer.body())
        .contains("\"RequestId: init-slow Error: Init timed out after 1.00 seconds\"");
    assertThat(agent.log()).contains("\tPhase: init\tStatus: timeout");
  }

  @Test
  void anInvocationSentWhileAnotherRunsWaitsForItsTurn() throws Exception {
    agent = agent(ECHO).start();

    CompletableFuture<Invoked> first = agent.invokeAsync("{\"sleep\":1}", REQUEST_ID, "first");
    Thread.sleep(200); // the first holds the environment
    Invoked second = agent.invoke("{\"n\":2}", REQUEST_ID, "second");

    assertThat(first.get(10, SECONDS).body()).isEqualTo("{\"sleep\":1}");
    assertSuccess(second);
    assertThat(second.body()).isEqualTo("{\"n\":2}");
    assertThat(agent.log()).containsSubsequence("END RequestId: first", "START RequestId: second");
  }

  @Test
  void withAnInvokeTokenOnlyInvocationsThatCarryItRun() throws Exception {
    agent = agent(ECHO).env(AgentProtocol.INVOKE_TOKEN_VARIABLE, "the-gateways-token").start();

    Invoked anonymous = agent.invoke("{\"n\":1}", REQUEST_ID, "anonymous");
    Invoked guessed =
        agent.invoke("{\"n\":2}", REQUEST_ID, "guessed", AgentProtocol.INVOKE_TOKEN, "guessed");
    Invoked fromTheGateway =
        agent.invoke(
            "{\"n\":3}", REQUEST_ID, "gateway", AgentProtocol.INVOKE_TOKEN, "the-gateways-token");

    assertThat(anonymous.status()).isEqualTo(403);
    assertThat(anonymous.body()).contains("Klambda-Invoke-Token is missing or wrong");
    assertThat(guessed.status()).isEqualTo(403);
    assertSuccess(fromTheGateway);
    assertThat(fromTheGateway.body()).isEqualTo("{\"n\":3}");
    assertThat(agent.log())
        .contains("START RequestId: gateway")
        .doesNotContain("START RequestId: anonymous")
        .doesNotContain("START RequestId: guessed");
  }

  @Test
  void whatTheGatewayWouldRefuseTheAgentRefusesToo() throws Exception {
    agent = agent(ECHO).start();

    Invoked notJson = agent.invoke("not json", REQUEST_ID, "not-json");
    Invoked badId = agent.invoke("{}", REQUEST_ID, "chosen by the caller");

    assertThat(notJson.status()).isEqualTo(400);
    assertThat(notJson.body())
        .contains("InvalidRequestContentException")
        .contains("Could not parse request body");
    assertThat(badId.status()).isEqualTo(400);
    assertThat(agent.log()).doesNotContain("START RequestId: not-json");
    assertSuccess(agent.invoke("{\"ok\":1}", REQUEST_ID, "fine-1"));
  }

  // ---- invocation failures reset the environment ----

  @Test
  void invocationOverTheTimeoutTimesOutAndTheNextOneSucceeds() throws Exception {
    agent = agent(ECHO).env("KLAMBDA_TIMEOUT_MS", "1000").start();

    Invoked timedOut = agent.invoke("{\"sleep\":5}");
    assertThat(timedOut.status()).isEqualTo(200);
    assertThat(timedOut.outcome()).isEqualTo("timeout");
    assertThat(timedOut.errorType()).isEqualTo("Sandbox.Timedout");
    assertThat(timedOut.body())
        .contains("\"errorMessage\":")
        .contains("Task timed out after 1.00 seconds");

    assertEchoes("{\"n\":2}");
  }

  @Test
  void runtimeCrashingMidInvocationIsACrashAndTheNextOneSucceeds() throws Exception {
    agent = agent(ECHO).start();

    Invoked crashed = agent.invoke("{\"exit\":1}");
    assertThat(crashed.status()).isEqualTo(200);
    assertThat(crashed.outcome()).isEqualTo("crash");
    assertThat(crashed.errorType()).isEqualTo("Runtime.ExitError");
    assertThat(crashed.body()).contains("exit status 1");

    assertEchoes("{\"n\":2}");
  }

  // ---- logs ----

  /** The gateway's billing rule reaches REPORT: 100 ms granules, Init not billed. */
  @Test
  void reportBillsByTheRuleTheGatewayGave() throws Exception {
    agent =
        agent(ECHO)
            .env(BillingRule.GRANULARITY_VARIABLE, "100")
            .env(BillingRule.BILL_INIT_VARIABLE, "false")
            .start();

    String cold = agent.invoke("{}", REQUEST_ID, "billed-cold", LOG_TYPE, "Tail").logTail();

    java.util.regex.Matcher report =
        java.util.regex.Pattern.compile(
                "\tDuration: ([0-9.]+) ms\tBilled Duration: (\\d+) ms\t.*\tInit Duration: ")
            .matcher(reportLine(cold));
    assertThat(report.find()).as(reportLine(cold)).isTrue();
    long durationMicros = Math.round(Double.parseDouble(report.group(1)) * 1000);
    assertThat(Long.parseLong(report.group(2)))
        .as("the duration rounded up to 100 ms, its Init left out")
        .isEqualTo(new BillingRule(100, false).billedMillis(durationMicros, 1_000_000));
  }

  @Test
  void logTailHasTheInvocationsLinesAndReportWithInitDurationOnTheFirstOnly() throws Exception {
    agent = agent(ECHO).start();

    String first = agent.invoke("{}", REQUEST_ID, "first-request", LOG_TYPE, "Tail").logTail();
    String second = agent.invoke("{}", REQUEST_ID, "second-request", LOG_TYPE, "Tail").logTail();

    assertInvocationLog(first, "first-request");
    assertThat(reportLine(first)).containsPattern("\tInit Duration: \\d+\\.\\d\\d ms");
    assertInvocationLog(second, "second-request");
    assertThat(reportLine(second)).doesNotContain("Init Duration");
  }

  @Test
  void agentLogIsUtf8WithoutALocale() throws Exception {
    agent = agent(runtime("echo 'grüße ✓' >&2; printf '%s' \"$event\"")).start();

    Invoked answer = agent.invoke("{}", LOG_TYPE, "Tail");

    assertSuccess(answer);
    assertThat(answer.logTail()).contains("grüße ✓");
    assertThat(agent.log()).contains("grüße ✓");
  }

  // ---- extensions and shutdown ----

  @Test
  void extensionGetsInvokeThenShutdownAndTheAgentExits() throws Exception {
    Path events = dir.resolve("events.txt");
    agent = agent(ECHO).extension("ext1", EXTENSION).env("EVENTS_FILE", events.toString()).start();

    assertSuccess(agent.invoke("{}"));
    agent.terminate();

    assertThat(agent.exitsWithin(Duration.ofSeconds(5))).as("agent exited after SIGTERM").isTrue();
    assertThat(agent.process().exitValue()).as("a clean shutdown exits 0").isZero();
    assertThat(Files.readAllLines(events)).containsExactly("INVOKE", "SHUTDOWN");
  }

  @Test
  void sigtermDuringAnInvocationLetsItFinish() throws Exception {
    agent = agent(ECHO).start();
    CompletableFuture<Invoked> inFlight =
        agent.invokeAsync("{\"sleep\":1.5}", REQUEST_ID, "in-flight");
    await().atMost(Duration.ofSeconds(5)).until(() -> agent.log().contains("handling in-flight"));
    assertThat(inFlight).isNotDone();

    agent.terminate();

    Invoked answer = inFlight.get(10, SECONDS);
    assertSuccess(answer);
    assertThat(answer.body()).isEqualTo("{\"sleep\":1.5}");
    assertThat(agent.exitsWithin(Duration.ofSeconds(5))).as("agent exited after SIGTERM").isTrue();
    assertThat(agent.log())
        .as("SHUTDOWN after the in-flight REPORT")
        .containsSubsequence("REPORT RequestId: in-flight", "SHUTDOWN Reason: spindown");
  }

  // ---- helpers ----

  private AgentProcess.Builder agent(String bootstrap) {
    return AgentProcess.builder(dir, testName).bootstrap(bootstrap);
  }

  /** An invocation in progress, its event taken from {@code /next} by the test as the runtime. */
  private record TakenEvent(
      HttpResponse<String> event,
      CompletableFuture<Invoked> answer,
      long invokedAtMillis,
      long takenAtMillis) {
    String requestId() {
      return header(event, "Lambda-Runtime-Aws-Request-Id");
    }
  }

  private TakenEvent invokeAndTakeEvent(String payload, String... headers) throws Exception {
    CompletableFuture<HttpResponse<String>> next = agent.nextInvocation();
    long invokedAt = System.currentTimeMillis();
    CompletableFuture<Invoked> answer = agent.invokeAsync(payload, headers);
    HttpResponse<String> event = next.get(5, SECONDS);
    return new TakenEvent(event, answer, invokedAt, System.currentTimeMillis());
  }

  private void assertEchoes(String payload) throws Exception {
    Invoked answer = agent.invoke(payload);
    assertSuccess(answer);
    assertThat(answer.body()).isEqualTo(payload);
  }

  private static void assertSuccess(Invoked answer) {
    assertThat(answer.status()).isEqualTo(200);
    assertThat(answer.outcome()).as("outcome of %s", answer.body()).isEqualTo("success");
    assertThat(answer.errorType()).isNull();
  }

  private static void assertInitError(Invoked answer, String errorType) {
    assertThat(answer.status()).isEqualTo(200);
    assertThat(answer.outcome()).isEqualTo("init-error");
    assertThat(answer.errorType()).isEqualTo(errorType);
  }

  private static void assertInvocationLog(String log, String requestId) {
    assertThat(log)
        .containsSubsequence(
            "START RequestId: " + requestId,
            "handling " + requestId,
            "END RequestId: " + requestId,
            "REPORT RequestId: " + requestId);
    assertThat(reportLine(log))
        .containsPattern("\tDuration: \\d+\\.\\d\\d ms")
        .containsPattern("\tBilled Duration: \\d+ ms")
        .contains("\tMemory Size: 128 MB")
        .containsPattern("\tMax Memory Used: \\d+ MB");
  }

  private static String reportLine(String log) {
    return log.lines()
        .filter(line -> line.startsWith("REPORT RequestId: "))
        .findFirst()
        .orElseThrow();
  }

  private static String header(HttpResponse<?> response, String name) {
    return response.headers().firstValue(name).orElse(null);
  }

  private static byte[] bytes(String text) {
    return text.getBytes(UTF_8);
  }
}
