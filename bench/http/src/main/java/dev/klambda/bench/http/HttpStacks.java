package dev.klambda.bench.http;

import dev.klambda.agent.AgentProtocol;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * Both ends of the gateway-to-agent hop, side by side. {@code --side servers} (the default): each
 * server stack in a JVM of its own with the agent's JVM options, answering invoke-shaped requests
 * from {@link LoadGenerator}. {@code --side clients}: each client stack in a JVM of its own with
 * the JVM's defaults (as the operator runs), sending them to one Netty server ({@link
 * StackClient}). The CPU per request is the measured process's utime + stime from /proc over the
 * measured requests (after a warm-up), so it includes the kernel's work for its sockets, as the Pod
 * benchmark's cgroup numbers do. A fresh JVM per row: one row's JIT and heap do not carry into the
 * next.
 *
 * <pre>java -jar bench/http/target/http-stacks.jar [--side servers|clients] [--stacks a,b]
 *     [--connections 1,16] [--warmup N] [--requests N] [--body BYTES]</pre>
 */
public final class HttpStacks {
  /**
   * The agent's JVM options in the runtime image (build-archives.sh), but its AOT cache: what each
   * server stack and {@link AgentThroughput}'s agent run with.
   */
  static final List<String> AGENT_JVM =
      List.of(
          "-XX:+UseSerialGC",
          "-XX:TieredStopAtLevel=1",
          "-Xss512k",
          "-Xmx48m",
          "-XX:MaxMetaspaceSize=32m",
          "-XX:ReservedCodeCacheSize=16m",
          "-XX:-UsePerfData");

  private static final long TICK_NANOS = 10_000_000L; // USER_HZ 100

  private HttpStacks() {}

  public static void main(String[] args) throws Exception {
    boolean clients = false;
    List<String> stacks = null;
    List<Integer> connections = List.of(1, 16);
    int warmup = 20_000;
    int requests = 40_000;
    int bodyBytes = 128;
    for (int i = 0; i < args.length; i += 2) {
      switch (args[i]) {
        case "--side" ->
            clients =
                switch (args[i + 1]) {
                  case "servers" -> false;
                  case "clients" -> true;
                  default ->
                      throw new IllegalArgumentException("--side must be servers or clients");
                };
        case "--stacks" -> stacks = List.of(args[i + 1].split(","));
        case "--connections" ->
            connections = Arrays.stream(args[i + 1].split(",")).map(Integer::valueOf).toList();
        case "--warmup" -> warmup = Integer.parseInt(args[i + 1]);
        case "--requests" -> requests = Integer.parseInt(args[i + 1]);
        case "--body" -> bodyBytes = Integer.parseInt(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    if (stacks == null) {
      stacks =
          clients
              ? List.of("jdk", "netty", "jetty")
              : List.of(
                  "jdk-virtual",
                  "jdk-platform",
                  "jdk-dispatcher",
                  "netty-nio",
                  "netty-epoll",
                  "jetty");
    }
    String side = clients ? "client" : "server";
    System.out.printf(
        Locale.ROOT,
        "machine: %d CPUs, %s, JDK %s; %d warm-up and %d measured requests per row,"
            + " %d-byte bodies%n%n",
        Runtime.getRuntime().availableProcessors(),
        System.getProperty("os.version"),
        System.getProperty("java.version"),
        warmup,
        requests,
        bodyBytes);
    System.out.println(
        "| "
            + side
            + " stack | connections | "
            + side
            + " CPU per request (µs) | requests/s | p50 (µs) | p99 (µs) |");
    System.out.println("|---|---|---|---|---|---|");
    if (clients) {
      clientRows(stacks, connections, warmup, requests, bodyBytes);
    } else {
      byte[] body = new byte[bodyBytes];
      Arrays.fill(body, (byte) 'x');
      for (String stack : stacks) {
        for (int conns : connections) {
          System.out.println(serverRow(stack, conns, warmup, requests, body));
        }
      }
    }
  }

  private static String serverRow(
      String stack, int connections, int warmup, int requests, byte[] body) throws Exception {
    int port = freePort();
    Process server = start(AGENT_JVM, StackServer.class, stack, Integer.toString(port));
    try {
      BufferedReader out = awaitLine(server, stack, "listening");
      Thread.ofPlatform()
          .daemon()
          .start(() -> out.lines().forEach(l -> System.err.println(stack + ": " + l)));
      try (LoadGenerator load =
          new LoadGenerator(
              Collections.nCopies(
                  connections, new LoadGenerator.Target(port, AgentProtocol.INVOKE_PATH)),
              body)) {
        load.run(warmup / connections);
        long cpuBefore = cpuNanos(server.pid());
        ClosedLoop.Run run = load.run(requests / connections);
        long cpu = cpuNanos(server.pid()) - cpuBefore;
        return row(stack, connections, cpu, run.requests(), run.wallNanos(), run.p50(), run.p99());
      }
    } finally {
      stop(server);
    }
  }

  /** One Netty server for all client rows: the same answer cost under every client. */
  private static void clientRows(
      List<String> stacks, List<Integer> connections, int warmup, int requests, int body)
      throws Exception {
    int port = freePort();
    Process server = start(AGENT_JVM, StackServer.class, "netty-nio", Integer.toString(port));
    try {
      awaitLine(server, "netty-nio", "listening");
      for (String stack : stacks) {
        for (int conns : connections) {
          System.out.println(clientRow(stack, port, conns, warmup, requests, body));
        }
      }
    } finally {
      stop(server);
    }
  }

  /**
   * The client's CPU is read around its measured requests: it waits for a line after its warm-up.
   */
  private static String clientRow(
      String stack, int port, int connections, int warmup, int requests, int body)
      throws Exception {
    Process client =
        start(
            List.of(),
            StackClient.class,
            stack,
            Integer.toString(port),
            Integer.toString(connections),
            Integer.toString(warmup),
            Integer.toString(requests),
            Integer.toString(body));
    try {
      BufferedReader out = awaitLine(client, stack, "warm");
      long cpuBefore = cpuNanos(client.pid());
      client.getOutputStream().write('\n');
      client.getOutputStream().flush();
      String done = out.readLine();
      long cpu = cpuNanos(client.pid()) - cpuBefore;
      if (done == null || !done.startsWith("done ")) {
        throw new IllegalStateException(stack + " client: " + done);
      }
      String[] fields = done.split(" ");
      return row(
          stack,
          connections,
          cpu,
          (long) (requests / connections) * connections,
          Long.parseLong(fields[1]),
          Long.parseLong(fields[2]),
          Long.parseLong(fields[3]));
    } finally {
      stop(client);
    }
  }

  private static String row(
      String stack,
      int connections,
      long cpuNanos,
      long requests,
      long wallNanos,
      long p50Nanos,
      long p99Nanos) {
    return String.format(
        Locale.ROOT,
        "| %s | %d | %.1f | %.0f | %.0f | %.0f |",
        stack,
        connections,
        cpuNanos / 1000.0 / requests,
        requests * 1e9 / wallNanos,
        p50Nanos / 1000.0,
        p99Nanos / 1000.0);
  }

  private static Process start(List<String> jvmOptions, Class<?> main, String... args)
      throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    command.addAll(List.of("-cp", jar(), main.getName()));
    command.addAll(List.of(args));
    return new ProcessBuilder(command).redirectErrorStream(true).start();
  }

  /** Reads the process's output up to the line {@code expected}; the lines before go to stderr. */
  private static BufferedReader awaitLine(Process process, String name, String expected)
      throws IOException {
    BufferedReader out =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    String line;
    while ((line = out.readLine()) != null && !line.equals(expected)) {
      System.err.println(name + ": " + line);
    }
    if (line == null) {
      throw new IllegalStateException(name + " ended before '" + expected + "'");
    }
    return out;
  }

  /** Closes its input (a server's signal to exit), then ends it. */
  private static void stop(Process process) throws InterruptedException {
    try {
      process.getOutputStream().close();
    } catch (IOException gone) {
      // it has exited already
    }
    process.destroy();
    process.waitFor();
  }

  static int freePort() throws IOException {
    try (ServerSocket free = new ServerSocket(0)) {
      return free.getLocalPort();
    }
  }

  /** utime + stime of every thread of the process. */
  static long cpuNanos(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * TICK_NANOS;
  }

  private static String jar() throws Exception {
    return Path.of(HttpStacks.class.getProtectionDomain().getCodeSource().getLocation().toURI())
        .toString();
  }
}
