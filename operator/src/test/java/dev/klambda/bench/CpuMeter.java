package dev.klambda.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * CPU time from /proc (Linux, 100 ticks/s): the whole machine, this JVM (brokers, local mode's
 * gateway, router and pollers all run here) by thread group, and its descendants: the agents
 * ({@code klambda-agent.jar}) and the function runtimes they start.
 */
final class CpuMeter {
  private static final double TICK_MS = 10.0;

  record Snapshot(
      long nanos,
      long machineBusy,
      long machineTotal,
      long self,
      long agents,
      long runtimes,
      Map<String, Long> threads) {}

  private CpuMeter() {}

  static Snapshot take() {
    long[] machine = machine();
    long agents = 0;
    long runtimes = 0;
    for (ProcessHandle p : ProcessHandle.current().descendants().toList()) {
      long ticks = ticks(Path.of("/proc", Long.toString(p.pid()), "stat"));
      if (p.info().commandLine().orElse("").contains("klambda-agent.jar")) {
        agents += ticks;
      } else {
        runtimes += ticks;
      }
    }
    Map<String, Long> threads = new HashMap<>();
    try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
      for (Path task : tasks.toList()) {
        String name = read(task.resolve("comm")).trim().replaceAll("[0-9]+", "#");
        threads.merge(name, ticks(task.resolve("stat")), Long::sum);
      }
    } catch (IOException e) {
      // threads come and go: a partial picture is fine
    }
    return new Snapshot(
        System.nanoTime(),
        machine[0],
        machine[1],
        ticks(Path.of("/proc/self/stat")),
        agents,
        runtimes,
        threads);
  }

  /**
   * Waits up to {@code seconds} for the machine to be quiet (under 15 % of all CPUs busy over one
   * second; other jobs share this machine) and returns the last second's busy percentage.
   */
  static double awaitQuiet(int seconds) throws InterruptedException {
    long deadline = System.nanoTime() + seconds * 1_000_000_000L;
    while (true) {
      long[] a = machine();
      Thread.sleep(1000);
      long[] b = machine();
      double busy = 100.0 * (b[0] - a[0]) / Math.max(1, b[1] - a[1]);
      if (busy < 15 || System.nanoTime() > deadline) {
        return busy;
      }
    }
  }

  /** One line: machine use, the part not ours, and CPU ms per 1,000 messages of each party. */
  static String summary(Snapshot a, Snapshot b, int messages) {
    double wallMs = (b.nanos() - a.nanos()) / 1e6;
    long busy = b.machineBusy() - a.machineBusy();
    long total = b.machineTotal() - a.machineTotal();
    long self = b.self() - a.self();
    long agents = b.agents() - a.agents();
    long runtimes = b.runtimes() - a.runtimes();
    double per1k = TICK_MS * 1000.0 / messages;
    return String.format(
        "machine %.0f%% of %d CPUs busy (%.0f%% not ours); CPU ms per 1000 msgs: "
            + "test JVM %.0f, agents %.0f, runtimes %.0f; CPU s: test JVM %.1f, agents %.1f, runtimes %.1f in %.1f s",
        100.0 * busy / Math.max(1, total) * Runtime.getRuntime().availableProcessors(),
        Runtime.getRuntime().availableProcessors(),
        100.0
            * (busy - self - agents - runtimes)
            / Math.max(1, total)
            * Runtime.getRuntime().availableProcessors(),
        self * per1k,
        agents * per1k,
        runtimes * per1k,
        self / 100.0,
        agents / 100.0,
        runtimes / 100.0,
        wallMs / 1000);
  }

  /** The test JVM's busiest thread groups (digits in names folded to #), as % of one CPU. */
  static String threads(Snapshot a, Snapshot b, int top) {
    double wallTicks = (b.nanos() - a.nanos()) / 1e7;
    Map<String, Long> delta = new HashMap<>();
    b.threads()
        .forEach((name, ticks) -> delta.put(name, ticks - a.threads().getOrDefault(name, 0L)));
    return delta.entrySet().stream()
        .filter(e -> e.getValue() > 0)
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .limit(top)
        .collect(
            Collectors.toMap(
                Map.Entry::getKey,
                e -> Math.round(100.0 * e.getValue() / wallTicks),
                (x, y) -> x,
                LinkedHashMap::new))
        .toString();
  }

  /** {busy, total} jiffies of all CPUs from /proc/stat. */
  private static long[] machine() {
    String[] f = read(Path.of("/proc/stat")).lines().findFirst().orElseThrow().trim().split("\\s+");
    long total = 0;
    for (int i = 1; i < f.length; i++) {
      total += Long.parseLong(f[i]);
    }
    long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
    return new long[] {total - idle, total};
  }

  /** utime + stime of a /proc stat file; 0 when the process or thread is gone. */
  private static long ticks(Path stat) {
    String text = read(stat);
    if (text.isEmpty()) {
      return 0;
    }
    String[] f = text.substring(text.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(f[11]) + Long.parseLong(f[12]);
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      return "";
    }
  }
}
