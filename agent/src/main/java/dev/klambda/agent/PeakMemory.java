package dev.klambda.agent;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Lambda's "Max Memory Used" of one process tree from /proc: the process's own high-water mark plus
 * what its descendants held when measured, never less than measured before. Zero where /proc does
 * not show the process (not Linux, or not in the agent's PID namespace).
 *
 * <p>This runs once per invocation, and finding the descendants is its cost: one read of {@code
 * /proc/PID/task/TID/children} per thread (a JVM runtime has 20–30; ~12 µs each). So the previous
 * scan is reused while no process or thread was created since it in the agent's PID namespace,
 * which {@code /proc/loadavg}'s last field (the namespace's most recently allocated PID) tells in
 * one read: the set can then only have shrunk, and a process gone reads as 0. In a Pod the
 * namespace is the Pod's (a warm JVM runtime allocates nothing between invocations); in local mode
 * it is the host's, where the scan runs every time.
 */
final class PeakMemory {
  private static final Path LOADAVG = Path.of("/proc/loadavg");

  private long peakKb;
  private long scannedAtLastPid = -1;
  private List<Long> descendants = List.of();

  synchronized long of(long pid) {
    long lastPid = lastAllocatedPid();
    if (lastPid < 0 || lastPid != scannedAtLastPid) {
      descendants = descendants(pid);
      scannedAtLastPid = lastPid;
    }
    long kb = statusKb(pid, "VmHWM:");
    for (long child : descendants) {
      kb += statusKb(child, "VmRSS:");
    }
    peakKb = Math.max(peakKb, kb);
    return (peakKb + 1023) / 1024;
  }

  /** The most recently allocated PID of this PID namespace, or -1. */
  private static long lastAllocatedPid() {
    try {
      String loadavg = Files.readString(LOADAVG, StandardCharsets.US_ASCII).trim();
      return Long.parseLong(loadavg.substring(loadavg.lastIndexOf(' ') + 1));
    } catch (IOException | RuntimeException unknown) {
      return -1;
    }
  }

  /**
   * The process's descendants from /proc/PID/task/TID/children of every thread (a JVM runtime forks
   * from threads other than its first): a few small reads, where ProcessHandle.descendants() scans
   * every process of the machine.
   */
  private static List<Long> descendants(long pid) {
    List<Long> found = new ArrayList<>();
    ArrayDeque<Long> next = new ArrayDeque<>(List.of(pid));
    while (!next.isEmpty() && found.size() < 1024) {
      long parent = next.poll();
      String[] tasks = new File("/proc/" + parent + "/task").list();
      if (tasks == null) {
        continue; // exited meanwhile, or no /proc
      }
      for (String task : tasks) {
        try {
          String children =
              Files.readString(
                      Path.of("/proc/" + parent + "/task/" + task + "/children"),
                      StandardCharsets.US_ASCII)
                  .trim();
          for (String child : children.isEmpty() ? new String[0] : children.split(" ")) {
            found.add(Long.parseLong(child));
            next.add(Long.parseLong(child));
          }
        } catch (IOException | RuntimeException gone) {
          // the thread exited meanwhile
        }
      }
    }
    return found;
  }

  private static long statusKb(long pid, String field) {
    try {
      String status =
          Files.readString(Path.of("/proc/" + pid + "/status"), StandardCharsets.ISO_8859_1);
      int at = status.indexOf(field);
      if (at < 0) {
        return 0;
      }
      int end = status.indexOf('\n', at);
      return Long.parseLong(
          status
              .substring(at + field.length(), end < 0 ? status.length() : end)
              .replace("kB", "")
              .trim());
    } catch (IOException | RuntimeException gone) {
      return 0;
    }
  }
}
