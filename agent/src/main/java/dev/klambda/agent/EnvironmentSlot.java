package dev.klambda.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The one execution environment an agent runs. An agent started for a function opens it at once; a
 * warm-pool member ({@code KLAMBDA_POOL} set) starts with its function container up and nothing in
 * it, and opens it when a function claims it: the claim's code is written to the task root and Init
 * begins as it would have in an environment started for that function. Never a second function: the
 * slot is claimed once.
 */
final class EnvironmentSlot {
  /** Where the environment is, not what it runs: the agent's own, whatever a claim says. */
  private static final Set<String> PLACEMENT =
      Set.of(
          AgentConfig.POOL,
          AgentProtocol.INVOKE_TOKEN_VARIABLE,
          "KLAMBDA_TASK_ROOT",
          "KLAMBDA_INVOKE_ADDRESS",
          "KLAMBDA_RUNTIME_API",
          "KLAMBDA_LAUNCHER_ADDRESS",
          "KLAMBDA_JAVA_RUNTIME_CLASSPATH");

  /** A claim that this slot does not take; the status says why (409 taken, 400 malformed). */
  static final class Refused extends Exception {
    final int status;

    Refused(int status, String message) {
      super(message, null, false, false);
      this.status = status;
    }
  }

  private final Map<String, String> agentEnvironment;
  private final Path agentHome;
  private final LogSink logs;
  private final ProcessStarter processes;
  private ExecutionEnvironment environment;
  private RuntimeApiServer runtimeApi;

  EnvironmentSlot(
      Map<String, String> agentEnvironment,
      Path agentHome,
      LogSink logs,
      ProcessStarter processes) {
    this.agentEnvironment = Map.copyOf(agentEnvironment);
    this.agentHome = agentHome;
    this.logs = logs;
    this.processes = processes;
  }

  /** Whether this agent waits for a claim rather than starting for a function. */
  boolean pooled() {
    return agentEnvironment.containsKey(AgentConfig.POOL);
  }

  /** The environment, or null while a pool member waits for its claim. */
  synchronized ExecutionEnvironment environment() {
    return environment;
  }

  /** Whether a claim would be taken now: unclaimed, and the function's container is up. */
  void awaitClaimable(Duration limit) throws Refused, InterruptedException {
    if (environment() != null || !pooled()) {
      throw new Refused(409, "this environment is not in a pool (or claimed already)");
    }
    try {
      processes.awaitReady(limit);
    } catch (IOException notYet) {
      throw new Refused(503, "the function's container is not up yet");
    }
  }

  /** Hands this pool member to the claim's function and begins its Init. */
  synchronized void claim(PoolClaim claim) throws Refused, IOException {
    if (!pooled() || environment != null) {
      throw new Refused(409, "this environment is not in a pool (or claimed already)");
    }
    AgentConfig config;
    try {
      config = AgentConfig.fromEnvironment(claimed(claim.environment()), agentHome);
    } catch (IllegalArgumentException e) {
      throw new Refused(400, "claim: " + e.getMessage());
    }
    String pooledAs =
        agentEnvironment.get("KLAMBDA_RUNTIME") + "/" + agentEnvironment.get("KLAMBDA_MEMORY_MB");
    String wanted = config.runtime() + "/" + config.memoryMB();
    if (!pooledAs.equals(wanted)) {
      throw new Refused(409, "this environment is pooled for " + pooledAs + ", not " + wanted);
    }
    writeCode(claim.files(), config.taskRoot());
    open(config);
  }

  /** Shutdown of whatever runs here; nothing to do for an unclaimed pool member. */
  synchronized void shutdown() {
    if (environment != null) {
      environment.shutdown();
      runtimeApi.stop();
    }
  }

  /** Opens the environment of {@code config}'s function: the one started for, or claimed by. */
  synchronized void open(AgentConfig config) throws IOException {
    ExecutionEnvironment opened = new ExecutionEnvironment(config, logs, processes);
    runtimeApi = new RuntimeApiServer(config, opened);
    runtimeApi.start();
    environment = opened;
    opened.start();
  }

  /** The agent's variables under the claim's, except those that place the environment. */
  private Map<String, String> claimed(Map<String, String> claimEnvironment) {
    Map<String, String> env = new LinkedHashMap<>(agentEnvironment);
    env.remove(AgentConfig.POOL);
    claimEnvironment.forEach(
        (name, value) -> {
          if (!PLACEMENT.contains(name)) {
            env.put(name, value);
          }
        });
    return env;
  }

  private static void writeCode(Map<String, PoolClaim.CodeFile> files, Path root)
      throws Refused, IOException {
    for (Map.Entry<String, PoolClaim.CodeFile> file : files.entrySet()) {
      Path target = root.resolve(file.getKey()).normalize();
      if (!target.startsWith(root) || target.equals(root)) {
        throw new Refused(400, "claim: file outside the task root: " + file.getKey());
      }
      Files.createDirectories(target.getParent());
      Files.write(target, file.getValue().content());
      // read-only, as the code of an environment started for the function (a ConfigMap volume)
      Files.setPosixFilePermissions(
          target,
          PosixFilePermissions.fromString(
              file.getValue().executable() ? "r-xr-xr-x" : "r--r--r--"));
    }
  }
}
