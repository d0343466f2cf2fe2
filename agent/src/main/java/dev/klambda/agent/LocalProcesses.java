package dev.klambda.agent;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The environment's processes as the agent's own children, in the agent's cgroup: local mode, where
 * there is no container to keep the function's budget apart.
 */
final class LocalProcesses implements ProcessStarter {
  private final LogSink logs;
  private final OomKills oomKills = OomKills.ofThisCgroup();

  LocalProcesses(LogSink logs) {
    this.logs = logs;
  }

  @Override
  public ChildProcess start(
      String name,
      List<String> command,
      Map<String, String> env,
      Path workDir,
      boolean telemetryLog)
      throws IOException {
    ProcessBuilder builder =
        new ProcessBuilder(telemetryLog ? withTelemetryLog(command) : command)
            .directory(workDir.toFile())
            .redirectErrorStream(!telemetryLog)
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    builder.environment().clear();
    builder.environment().putAll(env);
    long oomKillsBefore = oomKills.count();
    Process process = builder.start();
    preferredByTheOomKiller(process.pid());
    List<OutputPump> output = new ArrayList<>();
    output.add(OutputPump.start(name, process, process.getInputStream(), new LogLines(logs)));
    if (telemetryLog) {
      output.add(
          OutputPump.start(
              name + "-telemetry", process, process.getErrorStream(), new LogFrames(logs)));
    }
    return new Child(
        process,
        output,
        process
            .onExit()
            .thenApply(p -> new ChildProcess.Exit(p.exitValue(), oomKills.since(oomKillsBefore))));
  }

  /**
   * A process started from Java has only stdin, stdout and stderr: a shell gives the command
   * stderr's pipe as its telemetry descriptor and stdout's as its stderr, then becomes the command
   * (same process, so its pid, exit and memory stay the command's).
   */
  private static List<String> withTelemetryLog(List<String> command) {
    List<String> wrapped =
        new ArrayList<>(
            List.of("/bin/sh", "-c", "exec \"$@\" " + TELEMETRY_LOG_FD + ">&2 2>&1", "sh"));
    wrapped.addAll(command);
    return wrapped;
  }

  /**
   * Where the agent and the function share a memory limit, the kernel should kill the function's
   * process when it overruns it, not the agent. Best effort: what the process forked before this
   * write keeps the default score.
   */
  private static void preferredByTheOomKiller(long pid) {
    try {
      Files.writeString(Path.of("/proc", Long.toString(pid), "oom_score_adj"), "1000");
    } catch (IOException | RuntimeException e) {
      // not Linux, or not allowed: the kernel's own choice stands
    }
  }

  private record Child(
      Process process,
      List<OutputPump> output,
      CompletableFuture<ChildProcess.Exit> exit,
      PeakMemory peak)
      implements ChildProcess {
    Child(Process process, List<OutputPump> output, CompletableFuture<ChildProcess.Exit> exit) {
      this(process, output, exit, new PeakMemory());
    }

    @Override
    public boolean isAlive() {
      return process.isAlive();
    }

    @Override
    public void drainOutput() {
      output.forEach(OutputPump::drain);
    }

    @Override
    public long peakMemoryMB() {
      return peak.of(process.pid());
    }

    /** Sweeps the tree again for children forked meanwhile. */
    @Override
    public void stop(Duration grace) {
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
        alive.forEach(
            p -> p.onExit().orTimeout(100, TimeUnit.MILLISECONDS).exceptionally(t -> p).join());
      }
      drainOutput();
    }

    private List<ProcessHandle> tree() {
      return Stream.concat(process.descendants(), Stream.of(process.toHandle())).toList();
    }
  }
}
