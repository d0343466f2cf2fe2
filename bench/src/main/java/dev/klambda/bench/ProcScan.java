package dev.klambda.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * What the agent's per-invocation memory reading cost until commit 8b8a92c
 * (ChildProcess.peakMemoryMB, called on every invocation before the answer goes back): {@code
 * Process.descendants()}, which reads the stat file of every process on the machine, plus one
 * /proc/PID/status read. Run by {@code proc-scan} in a JVM with the agent's options, with a child
 * process like the agent's runtime.
 */
public final class ProcScan {
  private ProcScan() {}

  public static void main(String[] args) throws Exception {
    Process child = new ProcessBuilder("sleep", "60").start();
    try {
      long processes = ProcessHandle.allProcesses().count();
      for (int round = 1; round <= 5; round++) {
        int n = 1000;
        long t0 = System.nanoTime();
        long sink = 0;
        for (int i = 0; i < n; i++) {
          sink += child.descendants().count();
        }
        long t1 = System.nanoTime();
        for (int i = 0; i < n; i++) {
          sink += statusKb(child.pid(), "VmHWM:");
        }
        long t2 = System.nanoTime();
        System.out.printf(
            Locale.ROOT,
            "round %d: Process.descendants() %.0f µs/call, /proc/PID/status %.0f µs/call"
                + " (%d processes on the machine)%s%n",
            round,
            (t1 - t0) / 1e3 / n,
            (t2 - t1) / 1e3 / n,
            processes,
            sink == 42 ? " " : "");
      }
    } finally {
      child.destroyForcibly();
    }
  }

  /** As ChildProcess.procStatusKb. */
  private static long statusKb(long pid, String field) {
    try (Stream<String> lines = Files.lines(Path.of("/proc", Long.toString(pid), "status"))) {
      return lines
          .filter(l -> l.startsWith(field))
          .mapToLong(l -> Long.parseLong(l.substring(field.length()).replace("kB", "").trim()))
          .findFirst()
          .orElse(0);
    } catch (IOException | RuntimeException gone) {
      return 0;
    }
  }
}
