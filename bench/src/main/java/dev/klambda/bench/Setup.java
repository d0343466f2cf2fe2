package dev.klambda.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Where things are (the checkout, its built jars, the JDK) and how the harness starts them: local
 * mode, agents, the persistent echo runtime's bootstrap, manifests.
 */
final class Setup {
  /** The agent JVM options of local mode (LocalProcessEnvironmentManager.AGENT_JVM_OPTIONS). */
  static final List<String> AGENT_JVM_OPTIONS =
      List.of(
          "-XX:TieredStopAtLevel=1",
          "-XX:+UseSerialGC",
          "-Xshare:auto",
          "-Xss512k",
          "-XX:MaxRAM=256m",
          "-XX:-UsePerfData");

  /** JVM options of the echo runtime: small and C1-only, like the java21 runtime's. */
  static final List<String> ECHO_RUNTIME_JVM_OPTIONS =
      List.of(
          "-XX:TieredStopAtLevel=1",
          "-XX:+UseSerialGC",
          "-Xshare:auto",
          "-Xmx64m",
          "-XX:-UsePerfData");

  static final int INVOKE_PORT = 9000;
  static final int RUNTIME_API_PORT = 9001;
  static final String READY_PATH = "/klambda/ready?waitMs=5000";
  static final String INVOKE_PATH = "/klambda/invoke";

  final Path repo;
  final Path java;
  final Path klambdaJar;
  final Path agentJar;
  final Path benchClassPath;
  final Path work;

  private Setup(Path repo, Path work) {
    this.repo = repo;
    this.java = Path.of(System.getProperty("java.home"), "bin", "java");
    this.klambdaJar = repo.resolve("operator/target/klambda.jar");
    this.agentJar = repo.resolve("operator/target/agent/klambda-agent.jar");
    this.benchClassPath = ownClassPath();
    this.work = work;
  }

  /** Finds the checkout ({@code --repo}, else from where this jar is, else the current folder). */
  static Setup create(Path repoOption) throws IOException {
    Path repo = repoOption;
    if (repo == null) {
      Path own = ownClassPath();
      // bench/target/klambda-bench.jar or bench/target/classes
      Path candidate =
          own.getParent() != null && own.getParent().getParent() != null
              ? own.getParent().getParent().getParent()
              : null;
      repo =
          candidate != null && Files.isRegularFile(candidate.resolve("operator/target/klambda.jar"))
              ? candidate
              : Path.of("").toAbsolutePath();
    }
    repo = repo.toAbsolutePath().normalize();
    Setup setup = new Setup(repo, Files.createTempDirectory("klambda-bench-"));
    for (Path needed : List.of(setup.klambdaJar, setup.agentJar)) {
      if (!Files.isRegularFile(needed)) {
        throw new IOException(
            needed
                + " is missing: run 'mvn -B -q install -DskipTests' in "
                + repo
                + " first (or give --repo)");
      }
    }
    return setup;
  }

  private static Path ownClassPath() {
    try {
      return Path.of(Setup.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  Path log(String name) {
    return work.resolve(name + ".log");
  }

  /** Removes the work folder (logs, manifests, task roots). */
  void deleteWork() {
    try (Stream<Path> paths = Files.walk(work)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // a leftover temp folder is harmless
    }
  }

  // ---- code ----

  /** The persistent echo runtime's bootstrap: one JVM that loops over /next and /response. */
  String echoRuntimeBootstrap() {
    List<String> command = new ArrayList<>();
    command.add(java.toString());
    command.addAll(ECHO_RUNTIME_JVM_OPTIONS);
    command.add("-cp");
    command.add(benchClassPath.toString());
    command.add(EchoRuntime.class.getName());
    return "#!/bin/sh\n# klambda bench: a persistent runtime, no process per event\nexec "
        + String.join(" ", command.stream().map(Setup::shellQuote).toList())
        + "\n";
  }

  /** AWS's custom-runtime tutorial style, as in examples/echo-provided.yaml: curl per event. */
  static String bashEchoBootstrap() {
    return """
        #!/bin/bash
        # Echoes the event back, with the greeting and the request id (examples/echo-provided.yaml).
        set -euo pipefail
        api="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
        while true; do
          headers="$(mktemp)"
          event="$(curl -sS -D "$headers" "$api/invocation/next")"
          request_id="$(grep -Fi Lambda-Runtime-Aws-Request-Id "$headers" | tr -d '[:space:]' | cut -d: -f2)"
          rm -f "$headers"
          echo "echo: handling $request_id"
          curl -sS -X POST "$api/invocation/$request_id/response" \\
            -d "{\\"greeting\\":\\"$GREETING\\",\\"requestId\\":\\"$request_id\\",\\"event\\":$event}" > /dev/null
        done
        """;
  }

  /** The code of examples/node-hello by path, read from the checkout the bench runs in. */
  Map<String, String> nodeHelloFiles() throws IOException {
    Path code = repo.resolve("examples/node-hello/code");
    Map<String, String> files = new java.util.TreeMap<>();
    try (java.util.stream.Stream<Path> paths = Files.walk(code)) {
      for (Path file : paths.filter(Files::isRegularFile).toList()) {
        files.put(code.relativize(file).toString(), Files.readString(file));
      }
    }
    return files;
  }

  static Path writeTaskRoot(Path dir, String bootstrap) throws IOException {
    Files.createDirectories(dir);
    Path file = dir.resolve("bootstrap");
    Files.writeString(file, bootstrap, StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    return dir;
  }

  // ---- local mode ----

  /** A Function manifest (JSON is YAML), spec fields as given. */
  static String manifest(String name, Map<String, Object> spec) {
    return json(
        Map.of(
            "apiVersion",
            "klambda.dev/v1alpha1",
            "kind",
            "Function",
            "metadata",
            Map.of("name", name),
            "spec",
            spec));
  }

  /** Starts {@code klambda local} on a free port with the manifests in {@code dir}. */
  LocalMode startLocalMode(Path manifests, int queueTimeoutSeconds, String logName)
      throws IOException {
    int port = freePort();
    List<String> command = new ArrayList<>();
    command.add(java.toString());
    command.addAll(optionsFromEnvironment("KLAMBDA_BENCH_LOCAL_JVM_OPTS"));
    command.addAll(
        List.of(
            "-jar",
            klambdaJar.toString(),
            "local",
            "--port",
            Integer.toString(port),
            "--queue-timeout-seconds",
            Integer.toString(queueTimeoutSeconds),
            "--work-dir",
            work.resolve(logName + "-work").toString(),
            manifests.toString()));
    Path log = log(logName);
    Process process = Procs.start(command, null, log);
    return new LocalMode(process, port, log);
  }

  /** A running {@code klambda local}. */
  record LocalMode(Process process, int port, Path log) {
    String invokePath(String function) {
      return "/2015-03-31/functions/" + function + "/invocations";
    }

    /** Waits until the gateway answers a DryRun of {@code function}. */
    void awaitServing(String function, Duration limit) throws IOException, InterruptedException {
      long deadline = System.nanoTime() + limit.toNanos();
      while (System.nanoTime() < deadline) {
        if (!process.isAlive()) {
          throw new IOException("klambda local exited: " + Procs.tail(log, 20));
        }
        try (HttpConn conn = new HttpConn("127.0.0.1", port, 5000)) {
          HttpConn.Response r =
              conn.send(
                  "POST",
                  invokePath(function),
                  "X-Amz-Invocation-Type: DryRun\r\n",
                  "{}".getBytes(StandardCharsets.UTF_8));
          if (r.status() == 204) {
            return;
          }
          throw new IOException("DryRun answered " + r.status() + ": " + r.text());
        } catch (java.net.ConnectException notYet) {
          Thread.sleep(20);
        }
      }
      throw new IOException(
          "klambda local did not serve within " + limit + ": " + Procs.tail(log, 20));
    }

    void stop() {
      Procs.stop(process, Duration.ofSeconds(20));
    }
  }

  /**
   * Extra JVM options for profiling (e.g. a JFR recording): KLAMBDA_BENCH_LOCAL_JVM_OPTS for the
   * local mode JVM, KLAMBDA_BENCH_AGENT_JVM_OPTS for the agents the harness starts itself.
   */
  static List<String> optionsFromEnvironment(String variable) {
    String value = System.getenv(variable);
    return value == null || value.isBlank() ? List.of() : List.of(value.trim().split("\\s+"));
  }

  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket()) {
      socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      return socket.getLocalPort();
    }
  }

  // ---- agents, started directly ----

  /** An agent started by the harness on its own loopback address. */
  record Agent(String host, Process process, Path log) {
    void stop() {
      Procs.stop(process, Duration.ofSeconds(5));
    }
  }

  /** Whether the agent's two ports are free on {@code host}. */
  static boolean portsFree(String host) {
    for (int port : new int[] {INVOKE_PORT, RUNTIME_API_PORT}) {
      try (ServerSocket socket = new ServerSocket()) {
        socket.bind(new InetSocketAddress(host, port));
      } catch (IOException inUse) {
        return false;
      }
    }
    return true;
  }

  /** The agent command of local mode (same JVM options), with {@code extraJvmOptions} first. */
  List<String> agentCommand(List<String> extraJvmOptions) {
    List<String> command = new ArrayList<>();
    command.add(java.toString());
    boolean aot = extraJvmOptions.stream().anyMatch(o -> o.startsWith("-XX:AOTCache"));
    // the JDK refuses -Xshare:* next to the AOT cache options
    AGENT_JVM_OPTIONS.stream()
        .filter(o -> !(aot && o.startsWith("-Xshare:")))
        .forEach(command::add);
    command.addAll(extraJvmOptions);
    command.addAll(optionsFromEnvironment("KLAMBDA_BENCH_AGENT_JVM_OPTS"));
    command.add("-jar");
    command.add(agentJar.toString());
    return command;
  }

  /** What an agent runs: the function as local mode would hand it over. */
  record AgentFunction(
      String name,
      String runtime,
      String handler,
      int memoryMB,
      Path taskRoot,
      Map<String, String> variables) {
    static AgentFunction provided(String name, Path taskRoot) {
      return new AgentFunction(name, "provided", "", 128, taskRoot, Map.of());
    }
  }

  /**
   * The environment local mode gives an agent (LocalProcessEnvironmentManager.agentEnvironment).
   */
  Map<String, String> agentEnvironment(String host, AgentFunction function, Path tmp) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin"));
    env.put("TMPDIR", tmp.toString());
    env.putAll(function.variables());
    env.put("KLAMBDA_RUNTIME", function.runtime());
    env.put("KLAMBDA_HANDLER", function.handler());
    env.put("KLAMBDA_TASK_ROOT", function.taskRoot().toString());
    env.put("KLAMBDA_FUNCTION_NAME", function.name());
    env.put("KLAMBDA_MEMORY_MB", Integer.toString(function.memoryMB()));
    env.put("KLAMBDA_TIMEOUT_MS", "10000");
    env.put("KLAMBDA_INIT_TIMEOUT_MS", "60000");
    env.put("KLAMBDA_RUNTIME_API", host + ":" + RUNTIME_API_PORT);
    env.put("KLAMBDA_INVOKE_ADDRESS", host + ":" + INVOKE_PORT);
    return env;
  }

  Agent startAgent(
      String host, String function, Path taskRoot, List<String> extraJvmOptions, String logName)
      throws IOException {
    return startAgent(host, AgentFunction.provided(function, taskRoot), extraJvmOptions, logName);
  }

  Agent startAgent(
      String host, AgentFunction function, List<String> extraJvmOptions, String logName)
      throws IOException {
    if (!portsFree(host)) {
      throw new IOException(
          "ports " + INVOKE_PORT + "/" + RUNTIME_API_PORT + " are taken on " + host);
    }
    Path tmp = Files.createDirectories(work.resolve("tmp").resolve(logName));
    Path log = log(logName);
    Process process =
        Procs.start(agentCommand(extraJvmOptions), agentEnvironment(host, function, tmp), log);
    return new Agent(host, process, log);
  }

  /** Waits for GET /klambda/ready to answer 200 (Init ended well). */
  static void awaitReady(Agent agent, Duration limit) throws IOException, InterruptedException {
    awaitReady(agent, limit, 5);
  }

  /** Polls every {@code pollMillis} until the agent listens (local mode's AgentClient: 2 ms). */
  static void awaitReady(Agent agent, Duration limit, int pollMillis)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (System.nanoTime() < deadline) {
      if (!agent.process().isAlive()) {
        throw new IOException(
            "agent on " + agent.host() + " exited: " + Procs.tail(agent.log(), 20));
      }
      try (HttpConn conn = new HttpConn(agent.host(), INVOKE_PORT, 10_000)) {
        HttpConn.Response r = conn.send("GET", READY_PATH, "", null);
        if (r.status() == 200) {
          return;
        }
        if (r.status() == 500) {
          throw new IOException("Init failed on " + agent.host() + ": " + r.text());
        }
      } catch (java.net.ConnectException notYet) {
        Thread.sleep(pollMillis);
      }
    }
    throw new IOException("agent on " + agent.host() + " not ready within " + limit);
  }

  // ---- JSON ----

  static String json(Object value) {
    StringBuilder out = new StringBuilder();
    writeJson(out, value);
    return out.toString();
  }

  private static void writeJson(StringBuilder out, Object value) {
    if (value == null) {
      out.append("null");
    } else if (value instanceof Number || value instanceof Boolean) {
      out.append(value);
    } else if (value instanceof Map<?, ?> map) {
      out.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : map.entrySet()) {
        if (!first) {
          out.append(',');
        }
        first = false;
        writeJson(out, String.valueOf(e.getKey()));
        out.append(':');
        writeJson(out, e.getValue());
      }
      out.append('}');
    } else {
      String s = value.toString();
      out.append('"');
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        switch (c) {
          case '"' -> out.append("\\\"");
          case '\\' -> out.append("\\\\");
          case '\n' -> out.append("\\n");
          case '\r' -> out.append("\\r");
          case '\t' -> out.append("\\t");
          default -> {
            if (c < 0x20) {
              out.append(String.format("\\u%04x", (int) c));
            } else {
              out.append(c);
            }
          }
        }
      }
      out.append('"');
    }
  }

  private static String shellQuote(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }
}
