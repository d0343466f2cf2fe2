package dev.klambda.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Lambda's "Max Memory Used" of one process tree from /proc: the process's own high-water mark
 * plus what its descendants held when measured, never less than measured before. Zero where
 * /proc does not show the process (not Linux, or not in the agent's PID namespace).
 */
final class PeakMemory {
  private long peakKb;

  synchronized long of(long pid) {
    long kb = procStatusKb(pid, "VmHWM:");
    for (long child : descendants(pid)) {
      kb += procStatusKb(child, "VmRSS:");
    }
    peakKb = Math.max(peakKb, kb);
    return (peakKb + 1023) / 1024;
  }

  /**
   * The process's descendants from /proc/PID/task/TID/children of every thread (a JVM runtime
   * forks from threads other than its first): a few small reads, where
   * ProcessHandle.descendants() scans every process of the machine (this runs per invocation).
   */
  private static List<Long> descendants(long pid) {
    List<Long> found = new ArrayList<>();
    ArrayDeque<Long> next = new ArrayDeque<>(List.of(pid));
    while (!next.isEmpty() && found.size() < 1024) {
      long parent = next.poll();
      try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(parent), "task"))) {
        for (Path task : tasks.toList()) {
          for (String child : Files.readString(task.resolve("children")).trim().split("\\s+")) {
            if (!child.isEmpty()) {
              found.add(Long.parseLong(child));
              next.add(Long.parseLong(child));
            }
          }
        }
      } catch (IOException | RuntimeException gone) {
        // exited meanwhile, or no /proc
      }
    }
    return found;
  }

  private static long procStatusKb(long pid, String field) {
    try (Stream<String> lines = Files.lines(Path.of("/proc", Long.toString(pid), "status"))) {
      return lines.filter(l -> l.startsWith(field))
          .mapToLong(l -> Long.parseLong(l.substring(field.length()).replace("kB", "").trim()))
          .findFirst().orElse(0);
    } catch (IOException | RuntimeException gone) {
      return 0;
    }
  }
}
