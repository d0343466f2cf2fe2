package dev.klambda.bench.http;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The agent's HTTP server, side by side: each stack in a JVM of its own with the agent's JVM
 * options, answering invoke-shaped requests from {@link LoadGenerator}; the server's CPU per
 * request is its process's utime + stime from /proc over the measured requests (after a warm-up),
 * so it includes the kernel's work for its sockets, as the Pod benchmark's cgroup numbers do.
 *
 * <pre>java -jar bench/http/target/http-stacks.jar [--stacks a,b] [--connections 1,16]
 *     [--warmup N] [--requests N] [--body BYTES]</pre>
 */
public final class HttpStacks {
  /** The agent's JVM options in the runtime image (agent-jvm.options), but its AOT cache. */
  private static final List<String> AGENT_JVM = List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
      "-Xss512k", "-Xmx48m", "-XX:MaxMetaspaceSize=32m", "-XX:-UsePerfData");
  private static final long TICK_NANOS = 10_000_000L; // USER_HZ 100

  private HttpStacks() {}

  public static void main(String[] args) throws Exception {
    List<String> stacks = List.of("jdk-virtual", "jdk-platform", "jdk-dispatcher", "netty-nio", "netty-epoll",
        "jetty");
    List<Integer> connections = List.of(1, 16);
    int warmup = 20_000;
    int requests = 40_000;
    int bodyBytes = 128;
    for (int i = 0; i < args.length; i += 2) {
      switch (args[i]) {
        case "--stacks" -> stacks = List.of(args[i + 1].split(","));
        case "--connections" -> connections = Arrays.stream(args[i + 1].split(",")).map(Integer::valueOf).toList();
        case "--warmup" -> warmup = Integer.parseInt(args[i + 1]);
        case "--requests" -> requests = Integer.parseInt(args[i + 1]);
        case "--body" -> bodyBytes = Integer.parseInt(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    byte[] body = new byte[bodyBytes];
    Arrays.fill(body, (byte) 'x');
    System.out.printf(Locale.ROOT, "machine: %d CPUs, %s, JDK %s; %d warm-up and %d measured requests per row,"
        + " %d-byte bodies%n%n", Runtime.getRuntime().availableProcessors(), System.getProperty("os.version"),
        System.getProperty("java.version"), warmup, requests, bodyBytes);
    System.out.println("| stack | connections | server CPU per request (µs) | requests/s | p50 (µs) | p99 (µs) |");
    System.out.println("|---|---|---|---|---|---|");
    for (String stack : stacks) {
      for (int conns : connections) {
        System.out.println(row(stack, conns, warmup, requests, body));
      }
    }
  }

  /** A fresh server JVM per row: one row's JIT and heap do not carry into the next. */
  private static String row(String stack, int connections, int warmup, int requests, byte[] body)
      throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(AGENT_JVM);
    command.addAll(List.of("-cp", jar(), StackServer.class.getName(), stack, Integer.toString(port)));
    Process server = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
      String line;
      while ((line = out.readLine()) != null && !line.equals("listening")) {
        System.err.println(stack + ": " + line);
      }
      if (line == null) {
        throw new IllegalStateException(stack + " did not start");
      }
      Thread.ofPlatform().daemon().start(() -> out.lines().forEach(l -> System.err.println(stack + ": " + l)));
      LoadGenerator.run(port, connections, warmup / connections, body);
      long cpuBefore = cpuNanos(server.pid());
      LoadGenerator.Run run = LoadGenerator.run(port, connections, requests / connections, body);
      long cpu = cpuNanos(server.pid()) - cpuBefore;
      long[] all = run.latencies().stream().flatMapToLong(Arrays::stream).sorted().toArray();
      return String.format(Locale.ROOT, "| %s | %d | %.1f | %.0f | %.0f | %.0f |", stack, connections,
          cpu / 1000.0 / run.requests(), run.requests() * 1e9 / run.wallNanos(),
          all[all.length / 2] / 1000.0, all[(int) Math.ceil(all.length * 0.99) - 1] / 1000.0);
    } finally {
      server.getOutputStream().close();
      server.destroy();
      server.waitFor();
    }
  }

  /** utime + stime of every thread of the process. */
  private static long cpuNanos(long pid) throws Exception {
    String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * TICK_NANOS;
  }

  private static String jar() throws Exception {
    return Path.of(HttpStacks.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
  }
}
