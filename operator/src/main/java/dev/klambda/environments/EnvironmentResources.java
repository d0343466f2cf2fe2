package dev.klambda.environments;

import dev.klambda.function.SizingPolicy;

/**
 * CPU and memory of an environment Pod's two containers. The function's container gets exactly
 * the function's memory and its memory-based CPU (the sizing policy); the agent's container has
 * resources of its own, visible to the scheduler, so klambda's overhead never comes out of the
 * function's budget.
 *
 * @param cpuLimit whether the function's CPU is also its limit (Lambda's model) or only its
 *     request, so it may use idle CPU of the node
 * @param agentCpuRequestMillis what the scheduler reserves for the agent
 * @param agentCpuLimitMillis the agent's CPU limit; 0 for none. Generous by default: a JVM start
 *     needs ~150 ms of CPU, which a small quota would stretch to seconds on every cold start
 * @param agentMemoryMB the agent's memory request and limit
 */
public record EnvironmentResources(SizingPolicy sizing, CpuLimit cpuLimit, int agentCpuRequestMillis,
    int agentCpuLimitMillis, int agentMemoryMB) {

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
        default -> throw new IllegalArgumentException(
            option + " must be proportional or none (got '" + value + "')");
      };
    }
  }

  public static final int DEFAULT_AGENT_CPU_REQUEST_MILLIS = 50;
  public static final int DEFAULT_AGENT_CPU_LIMIT_MILLIS = 1000;
  /** A 48 MB heap (a 6 MB event and a 6 MB answer at once), metaspace, code cache, the JVM. */
  public static final int DEFAULT_AGENT_MEMORY_MB = 128;

  public static EnvironmentResources defaults(SizingPolicy sizing) {
    return new EnvironmentResources(sizing, CpuLimit.PROPORTIONAL, DEFAULT_AGENT_CPU_REQUEST_MILLIS,
        DEFAULT_AGENT_CPU_LIMIT_MILLIS, DEFAULT_AGENT_MEMORY_MB);
  }
}
