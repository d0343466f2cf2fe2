package dev.klambda.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The machine the numbers come from: CPUs, CPU model, RAM, kernel, JDK. */
final class Machine {
  /** Busier than this before a run (over 1 s, all CPUs) means someone else is running. */
  static final double QUIET_PERCENT = 15;

  private Machine() {}

  /** Machine-wide CPU use (all CPUs, everyone's) over {@code millis}, in percent. */
  static double busyPercent(long millis) throws InterruptedException {
    long[] a = Procs.machineCpu();
    Thread.sleep(millis);
    return busySince(a);
  }

  /** Machine-wide CPU use since a {@link Procs#machineCpu()} reading, in percent. */
  static double busySince(long[] start) {
    long[] b = Procs.machineCpu();
    return b[1] == start[1] ? Double.NaN : 100.0 * (b[0] - start[0]) / (b[1] - start[1]);
  }

  static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }

  /** One line on how busy the machine is right now, before a benchmark starts. */
  static String idleCheck(int waitSeconds) throws InterruptedException {
    double busy = busyPercent(1000);
    long deadline = System.nanoTime() + waitSeconds * 1_000_000_000L;
    while (busy > QUIET_PERCENT && System.nanoTime() < deadline) {
      System.out.printf(
          java.util.Locale.ROOT, "machine %.0f%% busy: waiting for it to be quiet%n", busy);
      busy = busyPercent(1000);
    }
    return String.format(
        java.util.Locale.ROOT,
        "machine before the run: %.0f%% CPU busy over 1 s, load average %s%s",
        busy,
        loadAverage(),
        busy > QUIET_PERCENT
            ? "  ** WARNING: something else is running; the numbers will be disturbed **"
            : "");
  }

  static String describe() {
    String model = "unknown";
    String memory = "unknown";
    try {
      model =
          Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
              .filter(l -> l.startsWith("model name"))
              .findFirst()
              .map(l -> l.substring(l.indexOf(':') + 1).trim())
              .orElse(model);
      memory =
          Files.readAllLines(Path.of("/proc/meminfo")).stream()
              .filter(l -> l.startsWith("MemTotal:"))
              .findFirst()
              .map(
                  l ->
                      String.format(
                          "%.1f GiB", Long.parseLong(l.replaceAll("[^0-9]", "")) / 1024.0 / 1024.0))
              .orElse(memory);
    } catch (IOException | RuntimeException ignored) {
      // not Linux: leave it unknown
    }
    List<String> lines =
        List.of(
            "machine: "
                + Runtime.getRuntime().availableProcessors()
                + " CPUs ("
                + model
                + "), "
                + memory
                + " RAM, "
                + System.getProperty("os.name")
                + " "
                + System.getProperty("os.version"),
            "JDK: "
                + System.getProperty("java.vm.vendor")
                + " "
                + System.getProperty("java.runtime.version")
                + " ("
                + System.getProperty("java.home")
                + ")");
    return String.join("\n", lines);
  }
}
