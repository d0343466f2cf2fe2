package dev.klambda.function;

/**
 * Which memory sizes a function may ask for, and how much CPU each gets. The default is the Lambda
 * design this project started from: 128–3,008 MB in 64 MB steps, 1,792 MB per vCPU.
 */
public record SizingPolicy(int minMemoryMB, int maxMemoryMB, int stepMB, int mbPerVcpu) {
  public static final int DEFAULT_MIN_MEMORY_MB = 128;
  public static final int DEFAULT_MAX_MEMORY_MB = 3008;
  public static final int DEFAULT_STEP_MB = 64;
  public static final int DEFAULT_MB_PER_VCPU = 1792;
  public static final SizingPolicy DEFAULT =
      new SizingPolicy(
          DEFAULT_MIN_MEMORY_MB, DEFAULT_MAX_MEMORY_MB, DEFAULT_STEP_MB, DEFAULT_MB_PER_VCPU);

  public SizingPolicy {
    if (minMemoryMB < 1 || maxMemoryMB < minMemoryMB || stepMB < 1 || mbPerVcpu < 1) {
      throw new IllegalArgumentException(
          "sizing policy needs 1 <= min <= max, step >= 1 and "
              + "MB per vCPU >= 1 (got min "
              + minMemoryMB
              + ", max "
              + maxMemoryMB
              + ", step "
              + stepMB
              + ", per vCPU "
              + mbPerVcpu
              + ")");
    }
  }

  /** The rule a memory size breaks, or null when it is allowed. */
  public String memoryRule(int memoryMB) {
    if (memoryMB < minMemoryMB
        || memoryMB > maxMemoryMB
        || (memoryMB - minMemoryMB) % stepMB != 0) {
      return "must be between "
          + minMemoryMB
          + " and "
          + maxMemoryMB
          + " MB in steps of "
          + stepMB
          + " MB (got "
          + memoryMB
          + ")";
    }
    return null;
  }

  /** CPU in millicores: ceil(memoryMB × 1000 / MB-per-vCPU). */
  public long cpuMillis(int memoryMB) {
    return (memoryMB * 1000L + mbPerVcpu - 1) / mbPerVcpu;
  }
}
