package dev.klambda.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.IntStream;

/**
 * Goal 1: the warm round trip of a trivial handler (the persistent echo runtime) through the
 * gateway of local mode, against the same handler reached directly at agents the harness starts
 * itself, at each concurrency. Also the gateway alone (DryRun: parsed and answered by the gateway,
 * no environment), and the CPU each party spends per request.
 */
final class WarmLatency {
  static final String FUNCTION = "bench-echo";

  /** Before each row, wait up to this long for the machine to be quiet (0: don't wait). */
  private static int quietSeconds;

  private WarmLatency() {}

  private static Load.Result measure(
      String label, List<Load.Target> targets, Duration warmup, Duration measure, Load.CpuProbe cpu)
      throws InterruptedException {
    if (quietSeconds > 0) {
      System.out.println("  " + Machine.idleCheck(quietSeconds));
    }
    System.out.printf(
        "warm: %s, concurrency %d: %ds warm-up, %ds measured%n",
        label, targets.size(), warmup.toSeconds(), measure.toSeconds());
    return report(Load.run(label, targets, warmup, measure, cpu));
  }

  /**
   * @param firstWarmup the warm-up of a row that uses environments not used before in its phase
   *     (the first row, and a higher concurrency than before): their JVMs just started or idled,
   *     and JIT-compile for a while; other rows use {@code warmup}
   * @param gatewayNice when not null, the local mode JVM's threads get this nice value once its
   *     environments run (an experiment: how much of the tail is CPU scheduling)
   */
  static List<Load.Result> run(
      Setup setup,
      List<Integer> concurrencies,
      Duration firstWarmup,
      Duration warmup,
      Duration measure,
      Integer gatewayNice,
      int awaitQuietSeconds)
      throws IOException, InterruptedException {
    quietSeconds = awaitQuietSeconds;
    int environments = concurrencies.stream().mapToInt(Integer::intValue).max().orElse(1);
    Path taskRoot =
        Setup.writeTaskRoot(setup.work.resolve("echo-runtime"), setup.echoRuntimeBootstrap());
    List<Load.Result> results = new ArrayList<>();

    // ---- A: the agent reached directly: one agent per worker, on 127.0.9.(1..n) ----
    System.out.printf(
        "warm: starting %d agents (echo runtime) on 127.0.9.1-%d%n", environments, environments);
    List<Setup.Agent> agents = new ArrayList<>();
    try {
      for (int i = 0; i < environments; i++) {
        agents.add(
            setup.startAgent(
                "127.0.9." + (i + 1), FUNCTION, taskRoot, List.of(), "direct-agent-" + (i + 1)));
      }
      awaitAll(
          agents.stream()
              .map(a -> (Check) () -> Setup.awaitReady(a, Duration.ofSeconds(120)))
              .toList());
      Load.CpuProbe cpu =
          () -> {
            Map<String, Long> m = new LinkedHashMap<>();
            m.put("client", Procs.cpuNanos(ProcessHandle.current()));
            m.put("gateway", 0L);
            m.put(
                "agents",
                agents.stream().mapToLong(a -> Procs.cpuNanos(a.process().toHandle())).sum());
            m.put(
                "runtimes",
                agents.stream()
                    .flatMap(a -> a.process().children())
                    .mapToLong(Procs::cpuNanos)
                    .sum());
            return m;
          };
      int busiest = 0;
      for (int c : concurrencies) {
        List<Load.Target> targets =
            IntStream.range(0, c)
                .mapToObj(
                    i ->
                        new Load.Target(
                            agents.get(i).host(),
                            Setup.INVOKE_PORT,
                            "POST",
                            Setup.INVOKE_PATH,
                            "",
                            Load.PAYLOAD,
                            200,
                            true))
                .toList();
        // environments used for the first time need the long warm-up (their JVMs JIT-compile)
        Duration w = c > busiest ? firstWarmup : warmup;
        busiest = Math.max(busiest, c);
        results.add(measure("direct agent", targets, w, measure, cpu));
      }
    } finally {
      stopAll(agents);
    }

    // ---- B: through the gateway of local mode ----
    Path manifests = Files.createDirectories(setup.work.resolve("warm-manifests"));
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("runtime", "provided");
    spec.put("memoryMB", 128);
    spec.put("timeoutSeconds", 10);
    spec.put("initTimeoutSeconds", 60);
    spec.put("idleTimeoutSeconds", 3600);
    spec.put("reservedConcurrency", environments);
    spec.put(
        "code",
        Map.of("inline", Map.of("files", Map.of("bootstrap", setup.echoRuntimeBootstrap()))));
    Files.writeString(
        manifests.resolve(FUNCTION + ".yaml"),
        Setup.manifest(FUNCTION, spec),
        StandardCharsets.UTF_8);
    System.out.println("warm: starting klambda local");
    Setup.LocalMode local = setup.startLocalMode(manifests, 300, "warm-local-mode");
    try {
      local.awaitServing(FUNCTION, Duration.ofSeconds(60));
      ProcessHandle gateway = local.process().toHandle();
      Load.CpuProbe cpu =
          () -> {
            Map<String, Long> m = new LinkedHashMap<>();
            m.put("client", Procs.cpuNanos(ProcessHandle.current()));
            m.put("gateway", Procs.cpuNanos(gateway));
            m.put("agents", gateway.children().mapToLong(Procs::cpuNanos).sum());
            m.put(
                "runtimes",
                gateway
                    .children()
                    .flatMap(ProcessHandle::children)
                    .mapToLong(Procs::cpuNanos)
                    .sum());
            return m;
          };
      String path = local.invokePath(FUNCTION);
      startEnvironments(local, path, environments);
      String label = "gateway";
      if (gatewayNice != null) {
        renice(gateway, gatewayNice);
        label = "gateway (nice " + gatewayNice + ")";
      }
      int busiest = 0;
      for (int c : concurrencies) {
        List<Load.Target> targets =
            IntStream.range(0, c)
                .mapToObj(
                    i ->
                        new Load.Target(
                            "127.0.0.1", local.port(), "POST", path, "", Load.PAYLOAD, 200, false))
                .toList();
        Duration w = c > busiest ? firstWarmup : warmup;
        busiest = Math.max(busiest, c);
        results.add(measure(label, targets, w, measure, cpu));
      }
      for (int c : concurrencies) {
        List<Load.Target> targets =
            IntStream.range(0, c)
                .mapToObj(
                    i ->
                        new Load.Target(
                            "127.0.0.1",
                            local.port(),
                            "POST",
                            path,
                            "X-Amz-Invocation-Type: DryRun\r\n",
                            Load.PAYLOAD,
                            204,
                            false))
                .toList();
        results.add(measure("gateway DryRun", targets, warmup, measure, cpu));
      }
    } finally {
      local.stop();
    }
    return results;
  }

  /** Gives every thread of a process a nice value (renice works per thread on Linux). */
  private static void renice(ProcessHandle process, int nice)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("renice", "-n", Integer.toString(nice), "-p"));
    try (var tasks = Files.list(Path.of("/proc", Long.toString(process.pid()), "task"))) {
      tasks.forEach(t -> command.add(t.getFileName().toString()));
    }
    Process renice =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    if (renice.waitFor() != 0) {
      throw new IOException("renice failed (root needed for negative values): " + command);
    }
    System.out.printf("warm: local mode's %d threads reniced to %d%n", command.size() - 5, nice);
  }

  /**
   * Bursts of {@code n} concurrent invocations until {@code n} environments have answered. Each is
   * held a moment by the runtime, so that a burst needs {@code n} environments however fast one
   * answers.
   */
  private static void startEnvironments(Setup.LocalMode local, String path, int n)
      throws IOException, InterruptedException {
    System.out.printf("warm: starting %d environments through the gateway%n", n);
    java.util.Set<String> seen = java.util.concurrent.ConcurrentHashMap.newKeySet();
    long started = System.nanoTime();
    try (ExecutorService pool = Executors.newFixedThreadPool(n)) {
      for (int burst = 1; burst <= 10 && seen.size() < n; burst++) {
        List<CompletableFuture<Void>> calls = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          calls.add(
              CompletableFuture.runAsync(
                  () -> {
                    try (HttpConn conn = new HttpConn("127.0.0.1", local.port(), 300_000)) {
                      HttpConn.Response r = conn.send("POST", path, "", EchoRuntime.hold(200));
                      String body = r.text();
                      if (r.status() != 200 || !body.startsWith("{\"env\":\"")) {
                        throw new IOException(
                            "warm-up invocation answered " + r.status() + ": " + body);
                      }
                      seen.add(body.substring(8, body.indexOf('"', 8)));
                    } catch (IOException e) {
                      throw new CompletionException(e);
                    }
                  },
                  pool));
        }
        try {
          CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).join();
        } catch (CompletionException e) {
          throw new IOException(
              e.getCause().getMessage() + "\n" + Procs.tail(local.log(), 20), e.getCause());
        }
      }
    }
    System.out.printf(
        "warm: %d environments answered after %.1f s%n",
        seen.size(), (System.nanoTime() - started) / 1e9);
    if (seen.size() < n) {
      throw new IOException("only " + seen.size() + " of " + n + " environments started");
    }
  }

  interface Check {
    void run() throws IOException, InterruptedException;
  }

  static void awaitAll(List<Check> checks) throws IOException, InterruptedException {
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      List<CompletableFuture<Void>> all =
          checks.stream()
              .map(
                  c ->
                      CompletableFuture.runAsync(
                          () -> {
                            try {
                              c.run();
                            } catch (IOException | InterruptedException e) {
                              throw new CompletionException(e);
                            }
                          },
                          pool))
              .toList();
      try {
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).join();
      } catch (CompletionException e) {
        if (e.getCause() instanceof IOException io) {
          throw io;
        }
        throw new IOException(e.getCause());
      }
    }
  }

  private static void stopAll(List<Setup.Agent> agents) {
    CompletableFuture.allOf(
            agents.stream()
                .map(a -> CompletableFuture.runAsync(a::stop))
                .toArray(CompletableFuture[]::new))
        .join();
  }

  private static Load.Result report(Load.Result r) {
    System.out.printf(
        "  %d requests, %d errors, %.0f req/s, p50 %s ms, p99 %s ms, %d environment(s)%s%n"
            + "  machine %.0f%% busy; other processes %.0f%% (%s)%n",
        r.requests(),
        r.errors(),
        r.throughput(),
        Stats.ms(r.p(0.5)),
        Stats.ms(r.p(0.99)),
        r.environments().size(),
        r.firstError() == null ? "" : ", first error: " + r.firstError(),
        r.machineBusy(),
        r.othersBusy(),
        r.othersTop());
    return r;
  }

  static String table(List<Load.Result> results) {
    List<List<String>> rows = new ArrayList<>();
    for (Load.Result r : results) {
      rows.add(
          List.of(
              r.label(),
              Integer.toString(r.concurrency()),
              Long.toString(r.requests()),
              Long.toString(r.errors()),
              Stats.fmt("%.0f", r.throughput()),
              Stats.fmt("%.3f", r.meanMillis()),
              Stats.ms(r.p(0.5)),
              Stats.ms(r.p(0.9)),
              Stats.ms(r.p(0.99)),
              Stats.ms(r.p(1.0)),
              r.label().contains("DryRun")
                  ? "-"
                  : r.environments().size()
                      + " ("
                      + r.environments().values().stream()
                          .mapToLong(Long::longValue)
                          .min()
                          .orElse(0)
                      + "–"
                      + r.environments().values().stream()
                          .mapToLong(Long::longValue)
                          .max()
                          .orElse(0)
                      + ")",
              Stats.fmt("%.0f%% (%.0f%%)", r.machineBusy(), r.othersBusy()),
              Stats.fmt(
                  "%.0f / %.0f / %.0f / %.0f",
                  r.cpuMicrosPerRequest("client"),
                  r.cpuMicrosPerRequest("gateway"),
                  r.cpuMicrosPerRequest("agents"),
                  r.cpuMicrosPerRequest("runtimes"))));
    }
    return Stats.table(
        List.of(
            "path",
            "conc.",
            "requests",
            "errors",
            "req/s",
            "mean ms",
            "p50 ms",
            "p90 ms",
            "p99 ms",
            "max ms",
            "envs (min–max req. each)",
            "CPU busy (others)",
            "CPU µs/req client / gateway / agents / runtimes"),
        rows);
  }

  /** Gateway minus direct, per concurrency, against the goal (≤ 1 ms at p50, ≤ 5 ms at p99). */
  static String overhead(List<Load.Result> results) {
    List<List<String>> rows = new ArrayList<>();
    for (Load.Result gw : results) {
      if (!gw.label().startsWith("gateway") || gw.label().contains("DryRun")) {
        continue;
      }
      Load.Result direct =
          results.stream()
              .filter(r -> r.label().equals("direct agent") && r.concurrency() == gw.concurrency())
              .findFirst()
              .orElse(null);
      if (direct == null) {
        continue;
      }
      long p50 = gw.p(0.5) - direct.p(0.5);
      long p99 = gw.p(0.99) - direct.p(0.99);
      rows.add(
          List.of(
              Integer.toString(gw.concurrency()),
              Stats.ms(p50),
              Stats.ms(p99),
              p50 <= 1_000_000 ? "yes" : "no",
              p99 <= 5_000_000 ? "yes" : "no",
              Stats.fmt("%.0f%%", 100.0 * gw.throughput() / direct.throughput())));
    }
    return Stats.table(
        List.of(
            "conc.",
            "gateway adds at p50 (ms)",
            "at p99 (ms)",
            "p50 ≤ 1 ms",
            "p99 ≤ 5 ms",
            "gateway throughput / direct"),
        rows);
  }
}
