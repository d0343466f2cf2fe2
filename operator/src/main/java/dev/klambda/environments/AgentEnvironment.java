package dev.klambda.environments;

import dev.klambda.agent.AgentProtocol;
import dev.klambda.agent.BillingRule;
import dev.klambda.agent.PoolClaim;
import dev.klambda.function.FunctionConfig;
import dev.klambda.pool.PoolSpec;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The agent's configuration as environment variables ({@code KLAMBDA_*}, read by the agent's
 * AgentConfig) next to the function's own variables: the same for a Pod and a local process.
 */
public final class AgentEnvironment {
  /**
   * Set in a Pod: the function's processes run in a container of their own, started by the launcher
   * that connects here.
   */
  public static final String LAUNCHER_ADDRESS = "KLAMBDA_LAUNCHER_ADDRESS";

  private AgentEnvironment() {}

  /**
   * @param billing how the agent's REPORT bills, as the gateway's meters do
   */
  public static Map<String, String> of(
      FunctionConfig function,
      String region,
      String taskRoot,
      boolean provisioned,
      BillingRule billing) {
    Map<String, String> env = new LinkedHashMap<>(function.variables());
    env.put("KLAMBDA_RUNTIME", function.runtime());
    env.put("KLAMBDA_HANDLER", function.handler());
    env.put("KLAMBDA_TASK_ROOT", taskRoot);
    env.put("KLAMBDA_FUNCTION_NAME", function.name());
    env.put("KLAMBDA_FUNCTION_ARN", function.arn(region));
    env.put("KLAMBDA_MEMORY_MB", Integer.toString(function.memoryMB()));
    env.put("KLAMBDA_TIMEOUT_MS", Long.toString(function.timeout().toMillis()));
    env.put("KLAMBDA_INIT_TIMEOUT_MS", Long.toString(function.initTimeout().toMillis()));
    env.put("KLAMBDA_REGION", region);
    env.put("KLAMBDA_INITIALIZATION_TYPE", provisioned ? "provisioned-concurrency" : "on-demand");
    billing.addTo(env);
    return env;
  }

  /**
   * A warm-pool member's agent: its pool, and the runtime and memory a claim must match; the task
   * root is where the agent writes the claiming function's code.
   */
  public static Map<String, String> poolMember(PoolSpec pool, String taskRoot) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put(AgentProtocol.POOL_VARIABLE, pool.name());
    env.put("KLAMBDA_RUNTIME", pool.runtime());
    env.put("KLAMBDA_MEMORY_MB", Integer.toString(pool.memoryMB()));
    env.put("KLAMBDA_TASK_ROOT", taskRoot);
    return env;
  }

  /**
   * What makes a warm-pool member an environment of the function: the variables above (but the task
   * root, which is the member's own) and the code, with the modes its volume would have given the
   * files.
   */
  public static PoolClaim claim(
      FunctionConfig function,
      String region,
      boolean provisioned,
      Map<String, PoolClaim.CodeFile> code,
      BillingRule billing) {
    Map<String, String> env = of(function, region, "", provisioned, billing);
    env.remove("KLAMBDA_TASK_ROOT");
    return new PoolClaim(env, code);
  }
}
