package dev.klambda.agent;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** How each runtime is started, and the environment variables Lambda gives it. */
final class RuntimeCommand {
  static final String JAVA_RUNTIME_CLIENT =
      "com.amazonaws.services.lambda.runtime.api.client.AWSLambda";

  private RuntimeCommand() {}

  /** The command line of the runtime process; throws {@link InitFailure} when there is none. */
  static List<String> of(AgentConfig config) {
    return switch (config.runtime()) {
      case "provided" -> provided(config);
      case "java21" -> java(config);
      default -> throw new InitFailure("Runtime.InvalidRuntime",
          "Unsupported runtime '" + config.runtime() + "' (supported: provided, java21)");
    };
  }

  private static List<String> provided(AgentConfig config) {
    Path bootstrap = config.taskRoot().resolve("bootstrap");
    if (!Files.isExecutable(bootstrap)) {
      throw new InitFailure("Runtime.InvalidEntrypoint",
          "Couldn't find valid bootstrap(s): [" + bootstrap + "]");
    }
    return List.of(bootstrap.toString());
  }

  /**
   * The official AWS runtime interface client with the function's code on the class path, sized
   * like Lambda's own java runtime: 85% of the memory as heap, serial GC, C1 only.
   */
  private static List<String> java(AgentConfig config) {
    Path root = config.taskRoot();
    String classPath = String.join(File.pathSeparator,
        root.toString(), root.resolve("*").toString(), root.resolve("lib/*").toString(),
        config.javaRuntimeClassPath().resolve("*").toString());
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return List.of(java,
        "-XX:MaxHeapSize=" + (config.memoryMB() * 85L / 100) + "m",
        "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1",
        "-Xshare:auto",
        "-Djava.net.preferIPv4Stack=true",
        // the runtime interface client's JNI library; without this JDK 24+ warns at every start
        "--enable-native-access=ALL-UNNAMED",
        "-cp", classPath,
        JAVA_RUNTIME_CLIENT, config.handler());
  }

  /** Lambda's defined runtime environment variables over the function's own variables. */
  static Map<String, String> environment(AgentConfig config) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("PATH", "/usr/local/bin:/usr/bin:/bin:/opt/bin");
    env.put("LANG", "en_US.UTF-8");
    env.put("TZ", ":UTC");
    env.putAll(config.functionEnvironment());
    env.put("AWS_LAMBDA_RUNTIME_API", config.runtimeApi());
    env.put("_HANDLER", config.handler());
    env.put("LAMBDA_TASK_ROOT", config.taskRoot().toString());
    env.put("LAMBDA_RUNTIME_DIR", config.javaRuntimeClassPath().getParent().toString());
    env.put("AWS_LAMBDA_FUNCTION_NAME", config.functionName());
    env.put("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", Integer.toString(config.memoryMB()));
    env.put("AWS_LAMBDA_FUNCTION_VERSION", config.functionVersion());
    env.put("AWS_LAMBDA_INITIALIZATION_TYPE", config.initializationType());
    env.put("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/" + config.functionName());
    env.put("AWS_LAMBDA_LOG_STREAM_NAME", config.functionName() + "/" + ProcessHandle.current().pid());
    env.put("AWS_REGION", config.region());
    env.put("AWS_DEFAULT_REGION", config.region());
    env.put("AWS_EXECUTION_ENV", "AWS_Lambda_" + config.runtime());
    return env;
  }
}
