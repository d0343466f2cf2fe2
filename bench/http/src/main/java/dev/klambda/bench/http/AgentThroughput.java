package dev.klambda.bench.http;

import dev.klambda.agent.AgentProtocol;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What the agent costs per invocation at load, the runtime out of the measurement: the real agent
 * jar, started as an environment's agent is (the image's JVM options, {@code provided} runtime),
 * pinned to one core with {@code taskset}; its runtime is {@link EchoRuntime} on another core, and
 * one keep-alive connection invokes it back to back ({@link LoadGenerator}), as the gateway does.
 * Agent CPU per invocation = the agent process's utime + stime from /proc over the measured
 * invocations (its runtime is a process of its own and not in it). Each round starts a fresh agent.
 *
 * <pre>
 * taskset -c 1 java -cp bench/http/target/http-stacks.jar dev.klambda.bench.http.AgentThroughput \
 *     [--agent-jar agent/target/klambda-agent.jar] [--agent-core 0] [--runtime-core 1]
 *     [--warmup 20000] [--requests 40000] [--body 128] [--rounds 3] [--agent-options "-XX:... -D..."]
 * </pre>
 */
public final class AgentThroughput {
  private AgentThroughput() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> options =
        new java.util.HashMap<>(
            Map.of(
                "--agent-jar",
                "agent/target/klambda-agent.jar",
                "--agent-core",
                "0",
                "--runtime-core",
                "1",
                "--warmup",
                "20000",
                "--requests",
                "40000",
                "--body",
                "128",
                "--rounds",
                "3",
                "--agent-options",
                ""));
    for (int i = 0; i < args.length; i += 2) {
      if (!options.containsKey(args[i]) || i + 1 >= args.length) {
        throw new IllegalArgumentException("unknown option or no value: " + args[i]);
      }
      options.put(args[i], args[i + 1]);
    }
    Path agentJar = Path.of(options.get("--agent-jar")).toAbsolutePath();
    byte[] body = new byte[Integer.parseInt(options.get("--body"))];
    Arrays.fill(body, (byte) 'x');
    body[0] = '"';
    body[body.length - 1] = '"';
    int warmup = Integer.parseInt(options.get("--warmup"));
    int requests = Integer.parseInt(options.get("--requests"));
    System.out.printf(
        Locale.ROOT,
        "machine: %d CPUs, %s, JDK %s; agent %s on core %s, runtime on core %s; %d warm-up"
            + " and %d measured invocations per round, %d-byte payloads%n%n",
        Runtime.getRuntime().availableProcessors(),
        System.getProperty("os.version"),
        System.getProperty("java.version"),
        agentJar,
        options.get("--agent-core"),
        options.get("--runtime-core"),
        warmup,
        requests,
        body.length);
    List<String> agentOptions =
        options.get("--agent-options").isBlank()
            ? List.of()
            : List.of(options.get("--agent-options").split(" "));
    System.out.println(
        "| round | invocations/s | p50 µs | p99 µs | agent CPU per invocation, µs |");
    System.out.println("|---|---|---|---|---|");
    for (int round = 1; round <= Integer.parseInt(options.get("--rounds")); round++) {
      System.out.println(
          round(
              round,
              agentJar,
              agentOptions,
              options.get("--agent-core"),
              options.get("--runtime-core"),
              warmup,
              requests,
              body));
    }
  }

  private static String round(
      int round,
      Path agentJar,
      List<String> agentOptions,
      String agentCore,
      String runtimeCore,
      int warmup,
      int requests,
      byte[] body)
      throws Exception {
    Path taskRoot = Files.createTempDirectory("agent-throughput");
    Path bootstrap = taskRoot.resolve("bootstrap");
    Files.writeString(
        bootstrap,
        "#!/bin/sh\nexec taskset -c "
            + runtimeCore
            + " "
            + Path.of(System.getProperty("java.home"), "bin", "java")
            + " -XX:+UseSerialGC -cp "
            + jar()
            + " "
            + EchoRuntime.class.getName()
            + "\n");
    Files.setPosixFilePermissions(bootstrap, PosixFilePermissions.fromString("rwxr-xr-x"));
    int invokePort = HttpStacks.freePort();
    List<String> command =
        new ArrayList<>(
            List.of(
                "taskset",
                "-c",
                agentCore,
                Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    command.addAll(HttpStacks.AGENT_JVM);
    command.addAll(agentOptions);
    command.addAll(List.of("-jar", agentJar.toString()));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder
        .environment()
        .putAll(
            Map.of(
                "KLAMBDA_RUNTIME",
                "provided",
                "KLAMBDA_FUNCTION_NAME",
                "echo",
                "KLAMBDA_TASK_ROOT",
                taskRoot.toString(),
                "KLAMBDA_TIMEOUT_MS",
                "30000",
                "KLAMBDA_RUNTIME_API",
                "127.0.0.1:" + HttpStacks.freePort(),
                "KLAMBDA_INVOKE_ADDRESS",
                "127.0.0.1:" + invokePort));
    Process agent = builder.start();
    // the agent's START/END/REPORT lines go to a pipe, as a container's stdout does; drained, not
    // kept
    Thread.ofPlatform().daemon().start(() -> drain(agent.getInputStream()));
    try {
      awaitReady(invokePort);
      try (LoadGenerator load =
          new LoadGenerator(
              List.of(new LoadGenerator.Target(invokePort, AgentProtocol.INVOKE_PATH)), body)) {
        load.run(warmup);
        long cpuBefore = HttpStacks.cpuNanos(agent.pid());
        ClosedLoop.Run run = load.run(requests);
        long cpu = HttpStacks.cpuNanos(agent.pid()) - cpuBefore;
        return String.format(
            Locale.ROOT,
            "| %d | %.0f | %.0f | %.0f | %.1f |",
            round,
            run.requests() * 1e9 / run.wallNanos(),
            run.p50() / 1000.0,
            run.p99() / 1000.0,
            cpu / 1000.0 / run.requests());
      }
    } finally {
      agent.destroy();
      agent.waitFor();
    }
  }

  private static void awaitReady(int port) throws Exception {
    HttpClient client = HttpClient.newHttpClient();
    HttpRequest ready =
        HttpRequest.newBuilder(
                URI.create(
                    "http://127.0.0.1:"
                        + port
                        + AgentProtocol.READY_PATH
                        + "?"
                        + AgentProtocol.READY_WAIT_PARAMETER
                        + "=10000"))
            .build();
    for (int attempt = 0; attempt < 100; attempt++) {
      try {
        int status = client.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode();
        if (status == 200) {
          return;
        }
        throw new IllegalStateException("the agent's Init did not succeed: " + status);
      } catch (java.net.ConnectException notYet) {
        Thread.sleep(Duration.ofMillis(100));
      }
    }
    throw new IllegalStateException("the agent did not listen on " + port);
  }

  private static void drain(InputStream in) {
    try (in) {
      in.transferTo(OutputStream.nullOutputStream());
    } catch (IOException gone) {
      // the agent has exited
    }
  }

  private static String jar() throws Exception {
    return Path.of(
            AgentThroughput.class.getProtectionDomain().getCodeSource().getLocation().toURI())
        .toString();
  }
}
