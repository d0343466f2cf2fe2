package dev.klambda.agent;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * A process of the environment (the runtime or an extension) with its output in the log sink: the
 * agent's own child in local mode ({@link LocalProcesses}), or a process the launcher started in
 * the function's container ({@link LauncherChannel}).
 */
interface ChildProcess {
  /**
   * How a process ended: its code as a shell reports it (128 + the signal when killed), and whether
   * the kernel's OOM killer struck the function's memory while it ran.
   */
  record Exit(int code, boolean oomKilled) {}

  boolean isAlive();

  /** Completes when the process has ended. */
  CompletableFuture<Exit> exit();

  /** Copies everything the process has written so far into the log sink, now. */
  void drainOutput();

  /**
   * SIGTERM to the process and what it started, SIGKILL after the grace period to whatever is left;
   * returns once it has ended (or could not be ended).
   */
  void stop(Duration grace);

  /** Lambda's "Max Memory Used" so far, in MB; 0 where it cannot be measured. */
  long peakMemoryMB();

  /**
   * Lambda's words for how a process ended: "exit status 1", "signal: killed". A signal is reported
   * as 128 + its number; past the last signal (64) it was an exit status (a JVM's 255).
   */
  static String describeExit(int code) {
    if (code <= 128 || code > 128 + 64) {
      return "exit status " + code;
    }
    return "signal: "
        + switch (code - 128) {
          case 6 -> "aborted";
          case 9 -> "killed";
          case 11 -> "segmentation fault";
          case 15 -> "terminated";
          default -> Integer.toString(code - 128);
        };
  }
}
