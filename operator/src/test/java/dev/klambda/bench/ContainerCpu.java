package dev.klambda.bench;

import dev.klambda.testing.DockerPod;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A docker container's CPU use and CFS throttling from its cgroup (v1 with docker's cgroupfs
 * layout, or v2 with systemd's), read on the host: how much CPU a cold start needed and how long
 * the CPU limit held it back.
 *
 * @param usageNanos CPU time used by every process of the container so far
 * @param throttledNanos time its processes were runnable but over their quota
 */
record ContainerCpu(long usageNanos, long periods, long throttledPeriods, long throttledNanos) {
  private static final Path CGROUP = Path.of("/sys/fs/cgroup");

  /** All the Pod's containers together now; null where a cgroup is not found. */
  static ContainerCpu ofPod(List<DockerPod.ContainerState> containers) {
    ContainerCpu sum = new ContainerCpu(0, 0, 0, 0);
    for (DockerPod.ContainerState container : containers) {
      ContainerCpu cpu = of(container.id());
      if (cpu == null) {
        return null;
      }
      sum =
          new ContainerCpu(
              sum.usageNanos + cpu.usageNanos,
              sum.periods + cpu.periods,
              sum.throttledPeriods + cpu.throttledPeriods,
              sum.throttledNanos + cpu.throttledNanos);
    }
    return sum;
  }

  /** What was used since {@code earlier}; null when either is unknown. */
  static ContainerCpu between(ContainerCpu earlier, ContainerCpu later) {
    return earlier == null || later == null
        ? null
        : new ContainerCpu(
            later.usageNanos - earlier.usageNanos,
            later.periods - earlier.periods,
            later.throttledPeriods - earlier.throttledPeriods,
            later.throttledNanos - earlier.throttledNanos);
  }

  /** The container's numbers now, or null where its cgroup is not found. */
  static ContainerCpu of(String containerId) {
    try {
      Path v1 = CGROUP.resolve("cpu/docker").resolve(containerId);
      if (Files.isDirectory(v1)) {
        Map<String, Long> stat = stat(v1.resolve("cpu.stat"));
        long usage =
            Long.parseLong(
                Files.readString(
                        CGROUP
                            .resolve("cpuacct/docker")
                            .resolve(containerId)
                            .resolve("cpuacct.usage"))
                    .strip());
        return new ContainerCpu(
            usage, stat.get("nr_periods"), stat.get("nr_throttled"), stat.get("throttled_time"));
      }
      Path v2 = CGROUP.resolve("system.slice/docker-" + containerId + ".scope");
      if (Files.isDirectory(v2)) {
        Map<String, Long> stat = stat(v2.resolve("cpu.stat"));
        return new ContainerCpu(
            stat.get("usage_usec") * 1000,
            stat.get("nr_periods"),
            stat.get("nr_throttled"),
            stat.get("throttled_usec") * 1000);
      }
    } catch (IOException | RuntimeException gone) {
      // the container ended, or another layout: no numbers rather than wrong ones
    }
    return null;
  }

  private static Map<String, Long> stat(Path file) throws IOException {
    Map<String, Long> values = new HashMap<>();
    for (String line : Files.readAllLines(file)) {
      String[] kv = line.split(" ");
      values.put(kv[0], Long.parseLong(kv[1]));
    }
    return values;
  }
}
