package dev.klambda.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToLongFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Goal 2: cold starts, from the request to the response of the first invocation of a new
 * environment.
 *
 * <p>Through local mode: each function has idleTimeoutSeconds 1; after a sample the harness waits
 * until local mode has stopped the environment (no agent process left), then takes the next. A
 * sample counts only when the invocation's log tail has the REPORT line's "Init Duration" (the
 * agent reports it on an environment's first invocation only).
 *
 * <p>The same at the agent directly, for comparison: the harness starts the agent as local mode
 * would (same command, JVM options and environment), polls /klambda/ready every 2 ms as local mode
 * does, and invokes; from process start to the response. The two alternate.
 */
final class ColdStart {
  private static final Pattern INIT_DURATION = Pattern.compile("Init Duration: ([0-9.]+) ms");
  private static final Pattern DURATION =
      Pattern.compile("REPORT RequestId: \\S+\tDuration: ([0-9.]+) ms");
  private static final String GREETING = "hello from klambda";

  /**
   * One cold start: request to response; from the agent's REPORT line its Init Duration (runtime
   * process start to its first /next) and the invocation's Duration (event handed over to the
   * answer); and a warm call right after, on the same connection.
   */
  /** The python3.11 echo: the event back with the request id, as the bash echo answers. */
  private static final String PYTHON_HANDLER = "app.handler";

  private static final String PYTHON_ECHO =
      """
      def handler(event, context):
          return {"requestId": context.aws_request_id, "event": event}
      """;

  record Sample(long coldNanos, long initNanos, long durationNanos, long warmNanos) {}

  record Result(String runtime, String path, List<Sample> samples, int discarded) {}

  private ColdStart() {}

  static List<Result> run(Setup setup, List<String> runtimes, int samples)
      throws IOException, InterruptedException {
    Path manifests = Files.createDirectories(setup.work.resolve("cold-manifests"));
    Map<String, Setup.AgentFunction> direct = new LinkedHashMap<>();
    for (String runtime : runtimes) {
      Map<String, Object> spec = new LinkedHashMap<>();
      spec.put("runtime", runtime);
      spec.put("memoryMB", memoryMB(runtime));
      spec.put("timeoutSeconds", 10);
      spec.put("initTimeoutSeconds", 30);
      spec.put("idleTimeoutSeconds", 1);
      Path taskRoot = Files.createDirectories(setup.work.resolve("cold-direct-" + runtime));
      switch (runtime) {
        case "provided" -> {
          spec.put("environment", Map.of("variables", Map.of("GREETING", GREETING)));
          spec.put(
              "code",
              Map.of("inline", Map.of("files", Map.of("bootstrap", Setup.bashEchoBootstrap()))));
          Setup.writeTaskRoot(taskRoot, Setup.bashEchoBootstrap());
          direct.put(
              runtime,
              new Setup.AgentFunction(
                  "cold-provided",
                  runtime,
                  "",
                  memoryMB(runtime),
                  taskRoot,
                  Map.of("GREETING", GREETING)));
        }
        case "java21" -> {
          String jar = HandlerJar.base64();
          spec.put("handler", HandlerJar.HANDLER);
          spec.put("code", Map.of("inline", Map.of("binaryFiles", Map.of("function.jar", jar))));
          Files.write(taskRoot.resolve("function.jar"), Base64.getDecoder().decode(jar));
          direct.put(
              runtime,
              new Setup.AgentFunction(
                  "cold-java21",
                  runtime,
                  HandlerJar.HANDLER,
                  memoryMB(runtime),
                  taskRoot,
                  Map.of()));
        }
        case "python3.11" -> {
          spec.put("handler", PYTHON_HANDLER);
          spec.put("code", Map.of("inline", Map.of("files", Map.of("app.py", PYTHON_ECHO))));
          Files.writeString(taskRoot.resolve("app.py"), PYTHON_ECHO);
          direct.put(
              runtime,
              new Setup.AgentFunction(
                  name(runtime), runtime, PYTHON_HANDLER, memoryMB(runtime), taskRoot, Map.of()));
        }
        case "nodejs22.x" -> {
          // examples/node-hello: an ES module importing a module of its node_modules
          Map<String, String> files = setup.nodeHelloFiles();
          spec.put("handler", "index.handler");
          spec.put("code", Map.of("inline", Map.of("files", files)));
          for (Map.Entry<String, String> file : files.entrySet()) {
            Path target = taskRoot.resolve(file.getKey());
            Files.createDirectories(target.getParent());
            Files.writeString(target, file.getValue(), StandardCharsets.UTF_8);
          }
          direct.put(
              runtime,
              new Setup.AgentFunction(
                  name(runtime), runtime, "index.handler", memoryMB(runtime), taskRoot, Map.of()));
        }
        default ->
            throw new IllegalArgumentException(
                "unknown runtime " + runtime + " (provided, java21, python3.11, nodejs22.x)");
      }
      Files.writeString(
          manifests.resolve(name(runtime) + ".yaml"),
          Setup.manifest(name(runtime), spec),
          StandardCharsets.UTF_8);
    }

    List<Result> results = new ArrayList<>();
    System.out.println("cold: starting klambda local");
    Setup.LocalMode local = setup.startLocalMode(manifests, 60, "cold-local-mode");
    try {
      local.awaitServing(name(runtimes.get(0)), Duration.ofSeconds(60));
      ProcessHandle gateway = local.process().toHandle();
      for (String runtime : runtimes) {
        results.addAll(interleaved(setup, local, gateway, direct.get(runtime), samples));
      }
    } finally {
      local.stop();
    }
    return results;
  }

  /** The function's name: a DNS label (python3.11's dot is not). */
  private static String name(String runtime) {
    return "cold-" + runtime.replace('.', '-');
  }

  private static int memoryMB(String runtime) {
    return runtime.equals("java21") ? 512 : 128;
  }

  /**
   * Alternates a cold start at the agent directly and one through local mode, each while nothing
   * else of the benchmark runs (local mode has no environment left), so that a disturbance of the
   * machine hits both alike. One untimed round first (page cache, the gateway's code paths).
   */
  private static List<Result> interleaved(
      Setup setup,
      Setup.LocalMode local,
      ProcessHandle gateway,
      Setup.AgentFunction function,
      int samples)
      throws IOException, InterruptedException {
    String runtime = function.runtime();
    String name = name(runtime);
    String path = local.invokePath(name);
    List<Sample> viaLocal = new ArrayList<>();
    List<Sample> atAgent = new ArrayList<>();
    int discarded = 0;
    for (int round = 0; viaLocal.size() < samples && discarded < samples; round++) {
      awaitNoEnvironment(gateway);
      Thread.sleep(200);
      Sample direct = atAgentOnce(setup, function, round);
      Thread.sleep(200);
      Sample cold = throughLocalModeOnce(local.port(), function.name(), path);
      if (round == 0) {
        continue;
      }
      if (cold == null) {
        discarded++;
        System.out.println("cold: " + runtime + ": not a cold start (no Init Duration), discarded");
        continue;
      }
      atAgent.add(direct);
      viaLocal.add(cold);
      print(runtime + " at the agent  ", atAgent.size(), direct);
      print(runtime + " via local mode", viaLocal.size(), cold);
    }
    return List.of(
        new Result(runtime, "local mode", viaLocal, discarded),
        new Result(runtime, "agent directly", atAgent, 0));
  }

  /** A cold start through local mode, or null when it was not one. */
  private static Sample throughLocalModeOnce(int port, String function, String path)
      throws IOException {
    try (HttpConn conn = new HttpConn("127.0.0.1", port, 60_000)) {
      long start = System.nanoTime();
      HttpConn.Response cold = conn.send("POST", path, "X-Amz-Log-Type: Tail\r\n", Load.PAYLOAD);
      long coldNanos = System.nanoTime() - start;
      check(function, cold);
      long warmStart = System.nanoTime();
      check(function, conn.send("POST", path, "", Load.PAYLOAD));
      long warmNanos = System.nanoTime() - warmStart;
      return sample(coldNanos, cold.header("X-Amz-Log-Result"), warmNanos);
    }
  }

  /** The harness starts the agent as local mode would, polls ready every 2 ms, invokes. */
  private static Sample atAgentOnce(Setup setup, Setup.AgentFunction function, int n)
      throws IOException, InterruptedException {
    String host = "127.0.12." + (n % 250 + 1);
    long start = System.nanoTime();
    Setup.Agent agent =
        setup.startAgent(host, function, List.of(), "cold-direct-" + function.runtime());
    try {
      Setup.awaitReady(agent, Duration.ofSeconds(60), 2);
      try (HttpConn conn = new HttpConn(host, Setup.INVOKE_PORT, 60_000)) {
        HttpConn.Response cold =
            conn.send(
                "POST",
                Setup.INVOKE_PATH,
                "Klambda-Request-Id: cold-" + n + "\r\nKlambda-Log-Type: Tail\r\n",
                Load.PAYLOAD);
        long coldNanos = System.nanoTime() - start;
        checkAgent(function.name(), cold);
        long warmStart = System.nanoTime();
        checkAgent(
            function.name(),
            conn.send(
                "POST", Setup.INVOKE_PATH, "Klambda-Request-Id: warm-" + n + "\r\n", Load.PAYLOAD));
        long warmNanos = System.nanoTime() - warmStart;
        Sample sample = sample(coldNanos, cold.header("Klambda-Log-Result"), warmNanos);
        if (sample == null) {
          throw new IOException("no Init Duration in the first invocation's log at " + host);
        }
        return sample;
      }
    } finally {
      agent.stop();
    }
  }

  /** The sample, or null when the log tail shows no Init (not a cold start). */
  private static Sample sample(long coldNanos, String logResult, long warmNanos) {
    String tail =
        logResult == null
            ? ""
            : new String(Base64.getDecoder().decode(logResult), StandardCharsets.UTF_8);
    Matcher init = INIT_DURATION.matcher(tail);
    Matcher duration = DURATION.matcher(tail);
    if (!init.find() || !duration.find()) {
      return null;
    }
    return new Sample(
        coldNanos,
        (long) (Double.parseDouble(init.group(1)) * 1e6),
        (long) (Double.parseDouble(duration.group(1)) * 1e6),
        warmNanos);
  }

  private static void print(String what, int n, Sample s) {
    System.out.printf(
        "cold: %s #%d: %s ms (Init Duration %s ms, Duration %s ms, warm call after it %s ms)%n",
        what,
        n,
        Stats.ms1(s.coldNanos()),
        Stats.ms1(s.initNanos()),
        Stats.ms1(s.durationNanos()),
        Stats.ms1(s.warmNanos()));
  }

  private static void check(String function, HttpConn.Response r) throws IOException {
    if (r.status() != 200 || r.header("X-Amz-Function-Error") != null) {
      throw new IOException(
          function
              + " answered "
              + r.status()
              + " "
              + (r.header("X-Amz-Function-Error") != null ? "(function error) " : "")
              + r.text());
    }
  }

  private static void checkAgent(String function, HttpConn.Response r) throws IOException {
    if (r.status() != 200 || !"success".equals(r.header("Klambda-Outcome"))) {
      throw new IOException(
          function
              + " at the agent answered "
              + r.status()
              + " outcome "
              + r.header("Klambda-Outcome")
              + ": "
              + r.text());
    }
  }

  /** Waits until local mode has no environment process left (the idle one was stopped). */
  private static void awaitNoEnvironment(ProcessHandle gateway)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (gateway.children().findAny().isPresent()) {
      if (System.nanoTime() > deadline) {
        throw new IOException("an environment is still running 30 s after its idle timeout");
      }
      Thread.sleep(20);
    }
  }

  static String table(List<Result> results) {
    List<List<String>> rows = new ArrayList<>();
    for (Result r : results) {
      long[] cold = sorted(r, Sample::coldNanos);
      boolean goal = r.runtime().equals("provided") && r.path().equals("local mode");
      rows.add(
          List.of(
              r.runtime(),
              r.path(),
              Integer.toString(cold.length),
              Stats.ms1(Stats.percentile(cold, 0.5)),
              Stats.ms1(Stats.percentile(cold, 0.9)),
              Stats.ms1(Stats.percentile(cold, 1.0)),
              Stats.ms1(Stats.percentile(sorted(r, Sample::initNanos), 0.5)),
              Stats.ms1(Stats.percentile(sorted(r, Sample::durationNanos), 0.5)),
              Stats.ms1(
                  Stats.percentile(
                      sorted(r, s -> s.coldNanos() - s.initNanos() - s.durationNanos()), 0.5)),
              Stats.ms1(Stats.percentile(sorted(r, Sample::warmNanos), 0.5)),
              goal ? (Stats.percentile(cold, 0.5) <= 300_000_000 ? "yes" : "no") : "-"));
    }
    return Stats.table(
        List.of(
            "runtime",
            "path",
            "samples",
            "cold p50 ms",
            "p90 ms",
            "max ms",
            "Init Duration p50",
            "1st invocation Duration p50",
            "rest p50 (cold - init - duration)",
            "warm call p50",
            "p50 ≤ 300 ms"),
        rows);
  }

  private static long[] sorted(Result r, ToLongFunction<Sample> f) {
    return r.samples().stream().mapToLong(f).sorted().toArray();
  }
}
