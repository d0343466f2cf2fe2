package dev.klambda.testing;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A container's cgroup settings as the kubelet derives them from the Pod (pkg/kubelet/cm and qos):
 * CPU quota from the CPU limit, CPU shares from the CPU request, memory limit without swap, and the
 * OOM score adjustment of the Pod's QoS class.
 */
final class PodResources {
  /** The kubelet's {@code guaranteedOOMScoreAdj}: the OOM killer's last choice. */
  static final int GUARANTEED_OOM_SCORE_ADJ = -997;

  static final int BEST_EFFORT_OOM_SCORE_ADJ = 1000;
  private static final int MIN_SHARES = 2;
  private static final int CAP_SYS_RESOURCE = 24;

  private PodResources() {}

  /** {@code docker run} options for the container's resources. */
  static List<String> dockerOptions(Pod pod, Container container) {
    List<String> options = new ArrayList<>();
    Quantity memory = amount(container, true, "memory");
    if (memory != null) {
      // no swap: the kubelet runs without it, so memory + swap = memory
      String bytes = memory.getNumericalAmount().toBigInteger() + "b";
      options.addAll(List.of("--memory", bytes, "--memory-swap", bytes));
    }
    Quantity cpuLimit = amount(container, true, "cpu");
    if (cpuLimit != null) {
      options.addAll(
          List.of("--cpus", String.format(Locale.ROOT, "%.3f", millis(cpuLimit) / 1000.0)));
    }
    options.addAll(List.of("--cpu-shares", Long.toString(cpuShares(container))));
    options.addAll(
        List.of(
            "--oom-score-adj",
            Integer.toString(Math.max(OOM_SCORE_ADJ_FLOOR, oomScoreAdj(pod, container)))));
    return options;
  }

  /**
   * The lowest adjustment docker can set here: below 0 needs CAP_SYS_RESOURCE, which a sandboxed
   * engine may lack (runc then fails with "can't get final child's PID from pipe"). Judged by this
   * process's capabilities, as the engine runs on this machine.
   */
  static final int OOM_SCORE_ADJ_FLOOR = capable(CAP_SYS_RESOURCE) ? -1000 : 0;

  /** MilliCPUToShares of the CPU request (which the API server defaults to the limit). */
  static long cpuShares(Container container) {
    Quantity request = amount(container, false, "cpu");
    if (request == null) {
      request = amount(container, true, "cpu");
    }
    return request == null ? MIN_SHARES : Math.max(MIN_SHARES, millis(request) * 1024 / 1000);
  }

  /**
   * GetContainerOOMScoreAdjust: by QoS class; Burstable by the share of the node's memory
   * requested.
   */
  static int oomScoreAdj(Pod pod, Container container) {
    return switch (qosClass(pod)) {
      case "Guaranteed" -> GUARANTEED_OOM_SCORE_ADJ;
      case "BestEffort" -> BEST_EFFORT_OOM_SCORE_ADJ;
      default -> {
        Quantity request = amount(container, false, "memory");
        if (request == null) {
          request = amount(container, true, "memory"); // the API server's default
        }
        long bytes = request == null ? 0 : request.getNumericalAmount().longValue();
        long adj = 1000 - (1000 * bytes) / machineMemoryBytes();
        yield (int)
            Math.min(BEST_EFFORT_OOM_SCORE_ADJ - 1, Math.max(1000 + GUARANTEED_OOM_SCORE_ADJ, adj));
      }
    };
  }

  /**
   * Guaranteed when every container has CPU and memory limits and requests equal to them;
   * BestEffort when none asks for either; Burstable otherwise.
   */
  static String qosClass(Pod pod) {
    List<Container> all = new ArrayList<>(PodLayout.of(pod));
    boolean guaranteed = true;
    boolean any = false;
    for (Container c : all) {
      for (String resource : List.of("cpu", "memory")) {
        Quantity limit = amount(c, true, resource);
        Quantity request = amount(c, false, resource);
        any |= limit != null || request != null;
        guaranteed &= limit != null && (request == null || same(request, limit));
      }
    }
    return guaranteed ? "Guaranteed" : any ? "Burstable" : "BestEffort";
  }

  private static boolean capable(int capability) {
    try {
      String effective =
          Files.readAllLines(Path.of("/proc/self/status")).stream()
              .filter(l -> l.startsWith("CapEff:"))
              .findFirst()
              .orElseThrow()
              .substring("CapEff:".length())
              .strip();
      return (Long.parseUnsignedLong(effective, 16) & (1L << capability)) != 0;
    } catch (IOException | RuntimeException e) {
      return true; // not Linux as expected: let docker say
    }
  }

  static long machineMemoryBytes() {
    try {
      String total =
          Files.readAllLines(Path.of("/proc/meminfo")).stream()
              .filter(l -> l.startsWith("MemTotal:"))
              .findFirst()
              .orElseThrow();
      return Long.parseLong(total.replaceAll("[^0-9]", "")) * 1024;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Quantity amount(Container container, boolean limit, String resource) {
    if (container.getResources() == null) {
      return null;
    }
    Map<String, Quantity> amounts =
        limit ? container.getResources().getLimits() : container.getResources().getRequests();
    return amounts == null ? null : amounts.get(resource);
  }

  private static long millis(Quantity cpu) {
    return cpu.getNumericalAmount().multiply(BigDecimal.valueOf(1000)).longValue();
  }

  private static boolean same(Quantity a, Quantity b) {
    return a.getNumericalAmount().compareTo(b.getNumericalAmount()) == 0;
  }
}
