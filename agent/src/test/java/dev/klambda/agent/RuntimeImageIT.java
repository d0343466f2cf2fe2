package dev.klambda.agent;

import static dev.klambda.agent.AgentProtocol.REQUEST_ID;
import static java.util.concurrent.TimeUnit.MINUTES;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.klambda.agent.EnvironmentContainer.Response;
import dev.klambda.agent.testfunctions.GreetingHandler;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runtime image (agent/Dockerfile, built here from this build's agent) under a real Docker
 * engine, each environment started as the operator's Pod would start it (see {@link
 * EnvironmentContainer}). Skipped, with the reason, where no Docker engine answers.
 */
@Timeout(value = 3, unit = MINUTES)
class RuntimeImageIT {
  /**
   * AWS's custom runtime loop in bash + curl. It answers with what it sees of its environment;
   * {@code {"allocateMB":N}} turns the runtime process into one that fills an N MB buffer (dd):
   * cheap in CPU, so it reaches the memory limit within the function's 72 millicores long before
   * its timeout (a shell variable grown to that size took longer than the timeout).
   */
  private static final String BOOTSTRAP =
      BashRuntime.loop(
          """
      allocate_re='"allocateMB": *([0-9]+)'""",
          """
        echo "handling $request_id"
        if [[ $event =~ $allocate_re ]]; then
          exec dd if=/dev/zero of=/dev/null bs="${BASH_REMATCH[1]}M" count=1
        fi
        tmp=false; if echo probe > /tmp/probe; then tmp=true; fi
        root=false; if (echo probe > /probe) 2>/dev/null; then root=true; fi
        limit=$(cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes)
        printf '{"event":%s,"uid":%s,"tmpWritable":%s,"rootWritable":%s,"memoryLimit":%s,"taskRoot":"%s"}' \\
          "$event" "$(id -u)" "$tmp" "$root" "$limit" "$LAMBDA_TASK_ROOT" \\
          | curl -sS -X POST "$api/invocation/$request_id/response" --data-binary @- >/dev/null""");

  /**
   * Answers an event with its size, or {@code {"answerBytes":N}} with a JSON string of N bytes
   * (streamed: the shell never holds it).
   */
  private static final String SIZES =
      BashRuntime.loop(
          """
      answer_re='^\\{"answerBytes": *([0-9]+)\\}$'""",
          """
        if [[ $event =~ $answer_re ]]; then
          { printf '"'; head -c "$((BASH_REMATCH[1] - 2))" /dev/zero | tr '\\0' x; printf '"'; }
        else
          printf '{"eventBytes":%s}' "${#event}"
        fi | curl -sS -X POST "$api/invocation/$request_id/response" --data-binary @- >/dev/null""");

  @TempDir Path code;
  private String testName;
  private EnvironmentContainer container;

  /** Why the tests are skipped, or null. */
  private static String unavailable;

  @BeforeAll
  static void buildImage() {
    unavailable = Docker.unavailableReason();
    if (unavailable != null) {
      System.out.println("RuntimeImageIT: Docker container tests skipped: " + unavailable);
      return;
    }
    String base = Docker.buildRuntimeImage();
    System.out.println("RuntimeImageIT: built " + Docker.RUNTIME_IMAGE + " from " + base);
  }

  /** Each test skipped with the reason (a skipped @BeforeAll would count no test at all). */
  @BeforeEach
  void setUp(TestInfo info) throws IOException {
    assumeTrue(unavailable == null, () -> "Docker container tests skipped: " + unavailable);
    testName = info.getTestMethod().orElseThrow().getName();
    // a temporary folder is its owner's only; the function runs as uid 10001
    Files.setPosixFilePermissions(code, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  /** Keeps what the container printed (target/container-logs/TEST.log), then removes it. */
  @AfterEach
  void removeContainer() throws IOException {
    if (container != null) {
      Path log = Path.of("target/container-logs", testName + ".log");
      Files.createDirectories(log.getParent());
      Files.writeString(log, container.logs());
      container.close();
    }
  }

  @Test
  void providedBashFunctionAnswersAsTheNonRootUserOnAReadOnlyRoot() throws Exception {
    container = provided(BOOTSTRAP).start();

    assertThat(container.awaitInitEnd().status()).as("Init succeeded").isEqualTo(200);
    Response answer = container.invoke("{\"hello\":\"world\"}", REQUEST_ID, "r-provided");

    assertThat(answer.status()).isEqualTo(200);
    assertThat(answer.outcome()).isEqualTo("success");
    assertThat(answer.body())
        .isEqualTo(
            "{\"event\":{\"hello\":\"world\"},\"uid\":10001,"
                // the runtime lives in the function's container: its cgroup has exactly the 128 MB
                + "\"tmpWritable\":true,\"rootWritable\":false,\"memoryLimit\":"
                + 128 * 1024 * 1024
                + ",\"taskRoot\":\"/var/task\"}");
    container.awaitLogs(
        "START RequestId: r-provided",
        "handling r-provided",
        "END RequestId: r-provided",
        "REPORT RequestId: r-provided");
  }

  /**
   * AWS's "Building a custom runtime" tutorial as written there: a {@code #!/bin/sh} bootstrap with
   * {@code set -euo pipefail} that sources {@code function.sh} and calls its handler. /bin/sh is
   * bash in the image, as on Amazon Linux (Debian's dash refuses {@code pipefail}).
   */
  @Test
  void awsCustomRuntimeTutorialBootstrapRunsUnchanged() throws Exception {
    Files.writeString(
        code.resolve("function.sh"),
        """
        function handler () {
          EVENT_DATA=$1
          echo "$EVENT_DATA" 1>&2;
          RESPONSE="Echoing request: '$EVENT_DATA'"
          echo $RESPONSE
        }
        """);
    container =
        provided(
                """
        #!/bin/sh
        set -euo pipefail
        # Initialization - load function handler
        source $LAMBDA_TASK_ROOT/"$(echo $_HANDLER | cut -d. -f1).sh"
        # Processing
        while true
        do
          HEADERS="$(mktemp)"
          # Get an event. The HTTP request will block until one is received
          EVENT_DATA=$(curl -sS -LD "$HEADERS" "http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation/next")
          # Extract request ID by scraping response headers received above
          REQUEST_ID=$(grep -Fi Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)
          # Run the handler function from the script
          RESPONSE=$($(echo "$_HANDLER" | cut -d. -f2) "$EVENT_DATA")
          # Send the response
          curl "http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation/$REQUEST_ID/response"  -d "$RESPONSE"
        done
        """)
            .start();

    assertThat(container.awaitInitEnd().status()).as("Init succeeded").isEqualTo(200);
    Response answer = container.invoke("{\"key1\":\"value1\"}", REQUEST_ID, "r-tutorial");
    assertThat(answer.outcome()).as(container.logs()).isEqualTo("success");
    assertThat(answer.body()).isEqualTo("Echoing request: '{\"key1\":\"value1\"}'");
  }

  /**
   * The launcher's telemetry connection: a text frame (a55a0003, its length, a timestamp, then the
   * message) on the runtime's descriptor is one line; and a line logged after the answer is still
   * that invocation's.
   */
  @Test
  void framedRecordsAreOneLineAndTheLogAfterTheAnswerIsTheInvocations() throws Exception {
    container =
        provided(
                BashRuntime.loop(
                    "",
                    """
          printf '\\xa5\\x5a\\x00\\x03\\x00\\x00\\x00\\x15\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00a record of\\ntwo lines' \\
            >&"$_LAMBDA_TELEMETRY_LOG_FD"
          printf '{}' | curl -sS -X POST "$api/invocation/$request_id/response" --data-binary @- >/dev/null
          echo "after the answer of $request_id\""""))
            .start();
    assertThat(container.awaitInitEnd().status()).as("Init succeeded").isEqualTo(200);

    Response answer =
        container.invoke("{}", REQUEST_ID, "r-framed", AgentProtocol.LOG_TYPE, "Tail");

    assertThat(answer.outcome()).isEqualTo("success");
    String tail =
        new String(
            java.util.Base64.getDecoder().decode(answer.headers().get(AgentProtocol.LOG_RESULT)),
            java.nio.charset.StandardCharsets.UTF_8);
    assertThat(tail.split("\n"))
        .containsSubsequence(
            "START RequestId: r-framed Version: $LATEST",
            "a record of\rtwo lines",
            "after the answer of r-framed",
            "END RequestId: r-framed");
    assertThat(container.logs().split("\n")).contains("a record of\rtwo lines");
  }

  @Test
  void java21HandlerRunsOnTheImagesJreWithAHeapWithinTheFunctionsMemory() throws Exception {
    functionJar(GreetingHandler.class);
    container =
        EnvironmentContainer.builder(
                code, "java21", GreetingHandler.class.getName() + "::handleRequest")
            .memoryMB(256)
            .start();

    assertThat(container.awaitInitEnd().status()).as("Init succeeded").isEqualTo(200);
    Response answer = container.invoke("{\"name\":\"klambda\"}", REQUEST_ID, "r-java");

    assertThat(answer.outcome()).isEqualTo("success");
    assertThat(answer.body())
        .contains(
            "\"greeting\":\"hello klambda\"",
            "\"functionName\":\"image-test\"",
            "\"memoryLimitInMB\":256",
            "\"taskRoot\":\"/var/task\"");
    Matcher heap = Pattern.compile("\"maxHeapMB\":(\\d+)").matcher(answer.body());
    assertThat(heap.find()).isTrue();
    assertThat(Long.parseLong(heap.group(1)))
        .as("heap: 85% of the memory, as Lambda's java runtime")
        .isLessThanOrEqualTo(256 * 85 / 100);
    container.awaitLogs("greeting klambda", "REPORT RequestId: r-java");
  }

  /**
   * python3.11 on the image's python3 (Debian's) with klambda's runtime client, its dependency in
   * the code's python/ folder, a record of the logging module framed through the launcher.
   */
  @Test
  void python311HandlerRunsOnTheImagesPythonWithItsDependency() throws Exception {
    Files.writeString(
        code.resolve("app.py"),
        """
        import logging
        import os
        import platform

        import greeting


        def handler(event, context):
            logging.getLogger().warning("greeting %s", event["name"])
            return {"greeting": greeting.hello(event["name"]), "python": platform.python_version(),
                    "functionName": context.function_name, "uid": os.getuid()}
        """);
    Files.createDirectories(code.resolve("python"));
    Files.writeString(
        code.resolve("python/greeting.py"), "def hello(name):\n    return 'hello ' + name\n");
    container = EnvironmentContainer.builder(code, "python3.11", "app.handler").start();

    assertThat(container.awaitInitEnd().status()).as("Init succeeded").isEqualTo(200);
    Response answer = container.invoke("{\"name\":\"klambda\"}", REQUEST_ID, "r-python");

    assertThat(answer.outcome()).as(answer.body()).isEqualTo("success");
    assertThat(answer.body())
        .contains(
            "\"greeting\":\"hello klambda\"",
            "\"python\":\"3.11.",
            "\"functionName\":\"image-test\"",
            "\"uid\":10001");
    container.awaitLogs(
        "START RequestId: r-python",
        "[WARNING]\t",
        "\tr-python\tgreeting klambda",
        "REPORT RequestId: r-python");
  }

  /**
   * nodejs22.x: AWS's Node.js runtime interface client on the image's Node.js 22, a handler that
   * imports a module of the code's node_modules, console.log as Lambda formats it (through the
   * launcher's telemetry descriptor), V8's heap sized from the function's memory as on Lambda.
   */
  @Test
  void nodejsHandlerRunsOnTheImagesNodeWithItsNodeModules() throws Exception {
    Files.createDirectories(code.resolve("node_modules/shout"));
    Files.writeString(
        code.resolve("node_modules/shout/index.js"), "module.exports = (s) => s.toUpperCase();\n");
    Files.writeString(
        code.resolve("index.mjs"),
        """
        import shout from 'shout';
        import v8 from 'node:v8';
        export const handler = async (event, context) => {
          console.log('greeting', event.name);
          return { greeting: shout('hello ' + event.name), node: process.version,
            functionName: context.functionName, memoryLimitInMB: context.memoryLimitInMB,
            heapLimitMB: Math.round(v8.getHeapStatistics().heap_size_limit / 1048576) };
        };
        """);
    container =
        EnvironmentContainer.builder(code, "nodejs22.x", "index.handler").memoryMB(256).start();

    assertThat(container.awaitInitEnd().status()).as(container.logs()).isEqualTo(200);
    Response answer = container.invoke("{\"name\":\"klambda\"}", REQUEST_ID, "r-node");

    assertThat(answer.outcome()).as(answer.body()).isEqualTo("success");
    assertThat(answer.body())
        .contains(
            "\"greeting\":\"HELLO KLAMBDA\"",
            "\"node\":\"v22.",
            "\"functionName\":\"image-test\"",
            "\"memoryLimitInMB\":\"256\"");
    Matcher heap = Pattern.compile("\"heapLimitMB\":(\\d+)").matcher(answer.body());
    assertThat(heap.find()).isTrue();
    // Lambda's bootstrap: old space 90% of the memory (230 MB), semi-spaces 5% (12 MB) each; V8's
    // limit adds its young generation and some of its own (279 MB here), not node's default
    assertThat(Long.parseLong(heap.group(1)))
        .as("V8's heap sized from the function's memory")
        .isBetween(230L, 300L);
    container.awaitLogs("\tr-node\tINFO\tgreeting klambda");
  }

  @Test
  void functionAllocatingPastItsMemoryIsKilledReportedAndReplacedByANewRuntime() throws Exception {
    container = provided(BOOTSTRAP).start();
    assertThat(container.awaitInitEnd().status()).isEqualTo(200);

    Response killed = container.invoke("{\"allocateMB\":256}", REQUEST_ID, "r-oom");

    assertThat(killed.status()).isEqualTo(200);
    assertThat(killed.outcome()).isEqualTo("crash");
    assertThat(killed.errorType()).isEqualTo("Runtime.ExitError");
    assertThat(killed.body())
        .contains("RequestId: r-oom Error: Runtime exited with error: signal: killed");
    // the kernel killed the runtime, not the agent: the environment re-initialises and goes on
    assertThat(container.running()).isTrue();
    Response after = container.invoke("{\"after\":\"oom\"}", REQUEST_ID, "r-after");
    assertThat(after.outcome()).isEqualTo("success");
    assertThat(after.body()).startsWith("{\"event\":{\"after\":\"oom\"}");
    container.awaitLogs(
        "handling r-oom",
        "REPORT RequestId: r-oom",
        "Status: error\tError Type: Runtime.ExitError",
        "handling r-after",
        "REPORT RequestId: r-after");
    // as Lambda reports an out-of-memory invocation: it used all of its memory
    assertThat(container.logs())
        .containsPattern(
            "REPORT RequestId: r-oom\t.*Memory Size: (\\d+) MB\tMax Memory Used: \\1 MB");
  }

  @Test
  void sixMegabytePayloadsBothWaysPassThroughA128MegabyteEnvironment() throws Exception {
    container = provided(SIZES).memoryMB(128).start();
    assertThat(container.awaitInitEnd().status()).isEqualTo(200);
    // Lambda's synchronous limit is 6 MB (6,291,456 bytes) each way; room for the JSON quotes
    int size = 6 * 1024 * 1024 - 2;

    Response bigEvent = container.invoke("\"" + "x".repeat(size) + "\"", REQUEST_ID, "r-big-event");
    Response bigAnswer =
        container.invoke("{\"answerBytes\":" + size + "}", REQUEST_ID, "r-big-answer");

    assertThat(bigEvent.outcome()).isEqualTo("success");
    assertThat(bigEvent.body()).isEqualTo("{\"eventBytes\":" + (size + 2) + "}");
    assertThat(bigAnswer.outcome()).isEqualTo("success");
    assertThat(bigAnswer.body()).hasSize(size);
    assertThat(container.running()).isTrue();
  }

  @Test
  void dockerStopShutsTheEnvironmentDownCleanly() throws Exception {
    container = provided(BOOTSTRAP).start();
    assertThat(container.awaitInitEnd().status()).isEqualTo(200);
    assertThat(container.invoke("{}", REQUEST_ID, "r-last").outcome()).isEqualTo("success");

    int exitCode = container.stop();

    assertThat(exitCode).as("SIGTERM ends the agent cleanly (not 143, not SIGKILL's 137)").isZero();
    assertThat(container.logs())
        .containsSubsequence("REPORT RequestId: r-last", "SHUTDOWN Reason: spindown");
  }

  // ---- helpers ----

  private EnvironmentContainer.Builder provided(String script) throws IOException {
    Path bootstrap = code.resolve("bootstrap");
    Files.writeString(bootstrap, script);
    // a ConfigMap volume's mode 0555, as the operator mounts code
    Files.setPosixFilePermissions(bootstrap, PosixFilePermissions.fromString("r-xr-xr-x"));
    return EnvironmentContainer.builder(code, "provided", "function.handler");
  }

  /**
   * A function jar in the task root, as a Lambda java deployment package has: the handler's
   * classes.
   */
  private void functionJar(Class<?> handler) throws IOException {
    Path classes = Path.of("target/test-classes");
    Path packageDir = classes.resolve(handler.getPackageName().replace('.', '/'));
    try (OutputStream file = Files.newOutputStream(code.resolve("function.jar"));
        JarOutputStream jar = new JarOutputStream(file);
        Stream<Path> classFiles = Files.list(packageDir)) {
      for (Path classFile : classFiles.filter(p -> p.toString().endsWith(".class")).toList()) {
        jar.putNextEntry(new JarEntry(classes.relativize(classFile).toString()));
        jar.write(Files.readAllBytes(classFile));
        jar.closeEntry();
      }
    }
  }
}
