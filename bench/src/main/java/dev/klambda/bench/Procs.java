package dev.klambda.bench;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The processes the harness starts: output into a log file each, and all of them (with whatever
 * they started) stopped at the end, on failure and on Ctrl-C too (a shutdown hook).
 */
final class Procs {
  private static final List<Process> STARTED = new CopyOnWriteArrayList<>();
  private static volatile boolean stopping;

  static {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  stopping = true;
                  stopAll();
                },
                "bench-cleanup"));
  }

  /** True once the harness is being stopped (Ctrl-C, SIGTERM): start nothing more. */
  static boolean stopping() {
    return stopping;
  }

  private Procs() {}

  /**
   * Starts {@code command} with its stdout and stderr into {@code log}.
   *
   * @param env the whole environment of the process, or null to inherit the harness's
   */
  static Process start(List<String> command, Map<String, String> env, Path log) throws IOException {
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    if (env != null) {
      builder.environment().clear();
      builder.environment().putAll(env);
    }
    if (stopping) {
      throw new IOException("the harness is stopping");
    }
    Process process = builder.start();
    STARTED.add(process);
    if (stopping) {
      // the clean-up may have missed it
      stop(process, Duration.ofSeconds(5));
      throw new IOException("the harness is stopping");
    }
    return process;
  }

  /**
   * SIGTERM, up to {@code grace} to exit (local mode stops its environments first), then SIGKILL to
   * the process and to every process it had started that is still there.
   */
  static void stop(Process process, Duration grace) {
    List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
    process.destroy();
    try {
      process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Stream.concat(Stream.of(process.toHandle()), tree.stream())
        .filter(ProcessHandle::isAlive)
        .forEach(ProcessHandle::destroyForcibly);
    try {
      process.waitFor(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    STARTED.remove(process);
  }

  /** Stops every process still running, in parallel. */
  static void stopAll() {
    List<Process> all = new ArrayList<>(STARTED);
    CompletableFuture.allOf(
            all.stream()
                .map(p -> CompletableFuture.runAsync(() -> stop(p, Duration.ofSeconds(10))))
                .toArray(CompletableFuture[]::new))
        .join();
  }

  /** CPU time (user + system) a process has used, in nanoseconds; 0 once it is gone. */
  static long cpuNanos(ProcessHandle process) {
    return process.info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
  }

  /**
   * CPU nanoseconds so far of every process on the machine that is not the harness or one of its
   * descendants, by pid, with a short name: to tell how much of the machine someone else used.
   */
  static Map<Long, Map.Entry<String, Long>> foreignCpu() {
    java.util.Set<Long> ours = new java.util.HashSet<>();
    ours.add(ProcessHandle.current().pid());
    ProcessHandle.current().descendants().forEach(p -> ours.add(p.pid()));
    Map<Long, Map.Entry<String, Long>> cpu = new java.util.HashMap<>();
    ProcessHandle.allProcesses()
        .filter(p -> !ours.contains(p.pid()))
        .forEach(
            p -> {
              ProcessHandle.Info info = p.info();
              String name =
                  info.command()
                      .map(c -> Path.of(c).getFileName().toString())
                      .orElse("pid " + p.pid());
              info.totalCpuDuration()
                  .ifPresent(d -> cpu.put(p.pid(), Map.entry(name, d.toNanos())));
            });
    return cpu;
  }

  /**
   * What foreign processes used between two {@link #foreignCpu()} readings: {total nanos, top
   * names}.
   */
  static Map.Entry<Long, String> foreignDelta(
      Map<Long, Map.Entry<String, Long>> before, Map<Long, Map.Entry<String, Long>> after) {
    Map<String, Long> byName = new java.util.HashMap<>();
    long total = 0;
    for (Map.Entry<Long, Map.Entry<String, Long>> e : after.entrySet()) {
      Map.Entry<String, Long> was = before.get(e.getKey());
      long delta = e.getValue().getValue() - (was == null ? 0 : was.getValue());
      if (delta > 0) {
        total += delta;
        byName.merge(e.getValue().getKey(), delta, Long::sum);
      }
    }
    String top =
        byName.entrySet().stream()
            .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
            .limit(3)
            .map(e -> e.getKey() + " " + e.getValue() / 1_000_000 + " ms")
            .reduce((a, b) -> a + ", " + b)
            .orElse("-");
    return Map.entry(total, top);
  }

  /** The last lines of a log, for error messages. */
  static String tail(Path log, int lines) {
    try {
      List<String> all = Files.readAllLines(log);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(cannot read " + log + ": " + e.getMessage() + ")";
    }
  }

  /**
   * CPU ticks (USER_HZ, as /proc/stat) used by the harness and every process it started that has
   * exited and been reaped (their children included): utime + stime + cutime + cstime.
   */
  static long ownTreeTicks() {
    try {
      String stat = Files.readString(Path.of("/proc/self/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
      // f[0] is field 3 (state): utime is field 14
      return Long.parseLong(f[11])
          + Long.parseLong(f[12])
          + Long.parseLong(f[13])
          + Long.parseLong(f[14]);
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }

  /** Machine-wide CPU: {busy, total} jiffies from /proc/stat (busy excludes idle and iowait). */
  static long[] machineCpu() {
    try {
      String line = Files.readAllLines(Path.of("/proc/stat")).get(0);
      String[] f = line.trim().split("\\s+");
      long total = 0;
      for (int i = 1; i < f.length && i <= 8; i++) {
        total += Long.parseLong(f[i]);
      }
      long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
      return new long[] {total - idle, total};
    } catch (IOException | RuntimeException e) {
      return new long[] {0, 0};
    }
  }
}
