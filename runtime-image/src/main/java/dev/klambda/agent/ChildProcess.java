package dev.klambda.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** A process of the environment (the runtime or an extension) with its output in the log sink. */
final class ChildProcess {
  private final Process process;
  private final OutputPump output;
  private long peakKb;

  private ChildProcess(Process process, OutputPump output) {
    this.process = process;
    this.output = output;
  }

  static ChildProcess start(String name, List<String> command, Map<String, String> env,
      Path workDir, LogSink logs) throws IOException {
    ProcessBuilder builder = new ProcessBuilder(command)
        .directory(workDir.toFile())
        .redirectErrorStream(true)
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    builder.environment().clear();
    builder.environment().putAll(env);
    Process process = builder.start();
    preferredByTheOomKiller(process.pid());
    return new ChildProcess(process, OutputPump.start(name, process, logs));
  }

  /**
   * The agent and the function share the Pod's memory limit. When the function overruns it, the
   * kernel should kill the function's process (the agent reports Runtime.ExitError and
   * re-initialises, as Lambda does), not the agent, which may be the larger one while it holds a
   * 6 MB payload. Best effort: what the process forked before this write keeps the default score.
   */
  private static void preferredByTheOomKiller(long pid) {
    try {
      Files.writeString(Path.of("/proc", Long.toString(pid), "oom_score_adj"), "1000");
    } catch (IOException | RuntimeException e) {
      // not Linux, or not allowed: the kernel's own choice stands
    }
  }

  long pid() {
    return process.pid();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** Completes with the exit code; codes above 128 mean the process died of signal (code - 128). */
  CompletableFuture<Integer> exit() {
    return process.onExit().thenApply(Process::exitValue);
  }

  void drainOutput() {
    output.drain();
  }

  /**
   * SIGTERM to the process and everything it started, SIGKILL after the grace period to whatever
   * is left, sweeping again for children forked meanwhile.
   */
  void stop(Duration grace) {
    tree().forEach(ProcessHandle::destroy);
    try {
      process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (int sweep = 0; sweep < 10; sweep++) {
      List<ProcessHandle> alive = tree().stream().filter(ProcessHandle::isAlive).toList();
      if (alive.isEmpty()) {
        break;
      }
      alive.forEach(ProcessHandle::destroyForcibly);
      alive.forEach(p -> p.onExit().orTimeout(100, TimeUnit.MILLISECONDS).exceptionally(t -> p).join());
    }
    output.drain();
  }

  private List<ProcessHandle> tree() {
    return Stream.concat(process.descendants(), Stream.of(process.toHandle())).toList();
  }

  /**
   * Peak resident memory in MB so far: the runtime's own high-water mark plus what its children
   * held when measured (Lambda's "Max Memory Used"). Zero where /proc is not available.
   */
  synchronized long peakMemoryMB() {
    long kb = procStatusKb(process.pid(), "VmHWM:");
    for (long child : descendants(process.pid())) {
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
    List<Long> found = new java.util.ArrayList<>();
    java.util.ArrayDeque<Long> next = new java.util.ArrayDeque<>(List.of(pid));
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

  /**
   * Lambda's words for how a process ended: "exit status 1", "signal: killed". The JDK reports a
   * signal as 128 + its number; past the last signal (64) it was an exit status (a JVM's 255).
   */
  static String describeExit(int code) {
    if (code <= 128 || code > 128 + 64) {
      return "exit status " + code;
    }
    return "signal: " + switch (code - 128) {
      case 6 -> "aborted";
      case 9 -> "killed";
      case 11 -> "segmentation fault";
      case 15 -> "terminated";
      default -> Integer.toString(code - 128);
    };
  }
}
