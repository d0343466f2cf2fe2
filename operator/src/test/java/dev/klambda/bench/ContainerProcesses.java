package dev.klambda.bench;

import dev.klambda.testing.DockerPod;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The live processes of a docker container, from its cgroup and /proc on the host: when each
 * started and how much CPU it has used. Start times are in {@link System#nanoTime()}'s clock
 * (CLOCK_MONOTONIC counts from boot on Linux, as /proc's start times do), at the kernel's 10 ms
 * tick; processes that already ended (a bootstrap's curl) are not listed, their CPU is in the
 * cgroup's total ({@link ContainerCpu}).
 */
final class ContainerProcesses {
  private static final long TICK_NANOS = 10_000_000L; // USER_HZ = 100

  /**
   * @param name the program and its last argument, e.g. {@code java klambda-agent.jar}
   */
  record Process(long pid, String name, long startNanos, long cpuNanos) {}

  private ContainerProcesses() {}

  /**
   * The processes of all the Pod's containers, their start times as offsets from {@code origin}.
   */
  static List<Process> ofPod(List<DockerPod.ContainerState> containers, long origin) {
    List<Process> processes = new ArrayList<>();
    for (DockerPod.ContainerState container : containers) {
      of(container.id())
          .forEach(
              p ->
                  processes.add(
                      new Process(p.pid(), p.name(), p.startNanos() - origin, p.cpuNanos())));
    }
    return processes;
  }

  static List<Process> of(String containerId) {
    List<Process> processes = new ArrayList<>();
    for (Path procs :
        List.of(
            Path.of("/sys/fs/cgroup/pids/docker", containerId, "cgroup.procs"),
            Path.of("/sys/fs/cgroup/system.slice/docker-" + containerId + ".scope/cgroup.procs"))) {
      if (!Files.exists(procs)) {
        continue;
      }
      try {
        for (String pid : Files.readAllLines(procs)) {
          Process process = process(Long.parseLong(pid.strip()));
          if (process != null) {
            processes.add(process);
          }
        }
      } catch (IOException | RuntimeException gone) {
        // the container ended meanwhile
      }
      break;
    }
    return processes;
  }

  private static Process process(long pid) {
    try {
      Path proc = Path.of("/proc", Long.toString(pid));
      String stat = Files.readString(proc.resolve("stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      long cpuTicks = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime + stime
      long startTicks = Long.parseLong(f[19]);
      String[] argv =
          new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.UTF_8)
              .split("\0");
      return new Process(pid, name(argv), startTicks * TICK_NANOS, cpuTicks * TICK_NANOS);
    } catch (IOException | RuntimeException gone) {
      return null;
    }
  }

  private static String name(String[] argv) {
    String program = Path.of(argv[0]).getFileName().toString();
    if (argv.length == 1 || program.equals("tini")) {
      return program;
    }
    String last = argv[argv.length - 1];
    return program + " " + last.substring(last.lastIndexOf('/') + 1);
  }
}
