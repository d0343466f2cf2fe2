package dev.klambda.environments;

import dev.klambda.function.SizingPolicy;

/**
 * CPU and memory of an environment Pod's two containers. The function's container gets exactly the
 * function's memory and its memory-based CPU (the sizing policy); the agent's container has
 * resources of its own, visible to the scheduler, so klambda's overhead never comes out of the
 * function's budget.
 *
 * @param cpuLimit whether the function's CPU is also its limit (Lambda's model) or only its
 *     request, so it may use idle CPU of the node
 * @param agentCpuRequestMillis what the scheduler reserves for the agent
 * @param agentCpuLimitMillis the agent's CPU limit; 0 for none. Generous by default: a JVM start
 *     needs ~150 ms of CPU, which a small quota would stretch to seconds on every cold start
 * @param agentMemoryMB the agent's memory request and limit
 * @param initCpuBoostMillis the function container's CPU limit until its first Init ends, when that
 *     is more than its share (with {@link CpuLimit#PROPORTIONAL}); 0 for no boost. The limit is
 *     then resized in place to the share (Kubernetes ≥ 1.33), as Lambda boosts CPU during Init
 */
public record EnvironmentResources(
    SizingPolicy sizing,
    CpuLimit cpuLimit,
    int agentCpuRequestMillis,
    int agentCpuLimitMillis,
    int agentMemoryMB,
    int initCpuBoostMillis) {

  /** The function container's CPU limit policy ({@code --cpu-limit}). */
  public enum CpuLimit {
    /** limit = request = the memory-based share, as Lambda: the same speed on any node */
    PROPORTIONAL,
    /** request only: the share is guaranteed, idle CPU of the node is used beyond it */
    NONE;

    public static CpuLimit parse(String option, String value) {
      return switch (value) {
        case "proportional" -> PROPORTIONAL;
        case "none" -> NONE;
        default ->
            throw new IllegalArgumentException(
                option + " must be proportional or none (got '" + value + "')");
      };
    }
  }

  public static final int DEFAULT_AGENT_CPU_REQUEST_MILLIS = 50;
  public static final int DEFAULT_AGENT_CPU_LIMIT_MILLIS = 1000;

  /** A 48 MB heap (a 6 MB event and a 6 MB answer at once), metaspace, code cache, the JVM. */
  public static final int DEFAULT_AGENT_MEMORY_MB = 128;

  public static EnvironmentResources defaults(SizingPolicy sizing) {
    return new EnvironmentResources(
        sizing,
        CpuLimit.PROPORTIONAL,
        DEFAULT_AGENT_CPU_REQUEST_MILLIS,
        DEFAULT_AGENT_CPU_LIMIT_MILLIS,
        DEFAULT_AGENT_MEMORY_MB,
        0);
  }

  /** Whether a function container of {@code memoryMB} starts with a CPU limit above its share. */
  public boolean boostsInit(int memoryMB) {
    return cpuLimit == CpuLimit.PROPORTIONAL && initCpuBoostMillis > sizing.cpuMillis(memoryMB);
  }

  /** The function container's CPU limit when its Pod is created, in millicores. */
  long initialCpuLimitMillis(int memoryMB) {
    return boostsInit(memoryMB) ? initCpuBoostMillis : sizing.cpuMillis(memoryMB);
  }

  /** The same, with the boost off: what a cluster that cannot resize in place gets. */
  public EnvironmentResources withoutInitBoost() {
    return withInitBoost(0);
  }

  public EnvironmentResources withInitBoost(int millis) {
    return new EnvironmentResources(
        sizing, cpuLimit, agentCpuRequestMillis, agentCpuLimitMillis, agentMemoryMB, millis);
  }
}
