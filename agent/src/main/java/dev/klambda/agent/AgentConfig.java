package dev.klambda.agent;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the agent needs to run one execution environment, read from {@code KLAMBDA_*} environment
 * variables (set by the Pod template, or by the local environment manager). Every other variable of
 * the agent's environment is the function's own and is passed to the runtime unchanged.
 */
record AgentConfig(
    String runtime,
    String handler,
    Path taskRoot,
    String functionName,
    String functionArn,
    String functionVersion,
    int memoryMB,
    Duration timeout,
    Duration initTimeout,
    InetSocketAddress runtimeApiAddress,
    InetSocketAddress invokeAddress,
    InetSocketAddress launcherAddress,
    String region,
    String initializationType,
    Path javaRuntimeClassPath,
    BillingRule billing,
    Map<String, String> functionEnvironment) {

  static final String PREFIX = "KLAMBDA_";

  /**
   * Set (to the pool's name) in a warm-pool member: it starts for no function, with {@code
   * KLAMBDA_RUNTIME} and {@code KLAMBDA_MEMORY_MB} of its pool, and waits for a claim.
   */
  static final String POOL = AgentProtocol.POOL_VARIABLE;

  static AgentConfig fromEnvironment(Map<String, String> env, Path agentHome) {
    Map<String, String> functionEnvironment = new LinkedHashMap<>();
    env.forEach(
        (k, v) -> {
          if (!k.startsWith(PREFIX)) {
            functionEnvironment.put(k, v);
          }
        });
    String functionName = required(env, "KLAMBDA_FUNCTION_NAME");
    String region = env.getOrDefault("KLAMBDA_REGION", "us-east-1");
    return new AgentConfig(
        required(env, "KLAMBDA_RUNTIME"),
        env.getOrDefault("KLAMBDA_HANDLER", ""),
        Path.of(env.getOrDefault("KLAMBDA_TASK_ROOT", "/var/task")),
        functionName,
        env.getOrDefault(
            "KLAMBDA_FUNCTION_ARN",
            "arn:aws:lambda:" + region + ":default:function:" + functionName),
        env.getOrDefault("KLAMBDA_FUNCTION_VERSION", "$LATEST"),
        positiveInt(env, "KLAMBDA_MEMORY_MB", "128"),
        Duration.ofMillis(positiveInt(env, "KLAMBDA_TIMEOUT_MS", "3000")),
        Duration.ofMillis(positiveInt(env, "KLAMBDA_INIT_TIMEOUT_MS", "10000")),
        address(env.getOrDefault("KLAMBDA_RUNTIME_API", "127.0.0.1:9001")),
        invokeAddress(env),
        launcherAddress(env),
        region,
        env.getOrDefault("KLAMBDA_INITIALIZATION_TYPE", "on-demand"),
        Path.of(
            env.getOrDefault(
                "KLAMBDA_JAVA_RUNTIME_CLASSPATH", agentHome.resolve("runtimes/java21").toString())),
        BillingRule.fromEnvironment(env),
        Map.copyOf(functionEnvironment));
  }

  /** Where the gateway reaches the agent. */
  static InetSocketAddress invokeAddress(Map<String, String> env) {
    return address(env.getOrDefault("KLAMBDA_INVOKE_ADDRESS", "0.0.0.0:9000"));
  }

  /** Where the launcher of the function's container connects; null in local mode. */
  static InetSocketAddress launcherAddress(Map<String, String> env) {
    String address = env.get("KLAMBDA_LAUNCHER_ADDRESS");
    return address == null ? null : address(address);
  }

  /** {@code host:port} as the runtime sees it in {@code AWS_LAMBDA_RUNTIME_API}. */
  String runtimeApi() {
    return runtimeApiAddress.getHostString() + ":" + runtimeApiAddress.getPort();
  }

  Path extensionsDir() {
    return taskRoot.resolve("extensions");
  }

  boolean hasExtensions() {
    return Files.isDirectory(extensionsDir());
  }

  private static String required(Map<String, String> env, String name) {
    String value = env.get(name);
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(name + " must be set");
    }
    return value;
  }

  private static int positiveInt(Map<String, String> env, String name, String fallback) {
    String raw = env.getOrDefault(name, fallback);
    try {
      int value = Integer.parseInt(raw.trim());
      if (value > 0) {
        return value;
      }
    } catch (NumberFormatException ignored) {
      // reported below
    }
    throw new IllegalArgumentException(name + " must be a positive integer (got '" + raw + "')");
  }

  private static InetSocketAddress address(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException("address must be host:port (got '" + hostPort + "')");
    }
    return new InetSocketAddress(
        hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
  }
}
