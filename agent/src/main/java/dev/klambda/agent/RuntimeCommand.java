package dev.klambda.agent;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** How each runtime is started, and the environment variables Lambda gives it. */
final class RuntimeCommand {
  static final String JAVA_RUNTIME_CLIENT =
      "com.amazonaws.services.lambda.runtime.api.client.AWSLambda";

  /** Where the runtime interface client loads its JNI library from instead of unpacking it. */
  private static final String JNI_PROPERTY =
      "-Dcom.amazonaws.services.lambda.runtime.api.client.runtimeapi.NativeClient.JNI=";

  /** Beside the runtime's jars in the runtime image: the JVM options that use its archive. */
  static final String ARCHIVE_OPTIONS = "runtime-jvm.options";

  private RuntimeCommand() {}

  /** The command line of the runtime process; throws {@link InitFailure} when there is none. */
  static List<String> of(AgentConfig config) {
    return switch (config.runtime()) {
      case "provided" -> provided(config);
      case "java21" -> java(config);
      case PythonRuntime.RUNTIME -> PythonRuntime.command(config, environment(config).get("PATH"));
      case "nodejs22.x" -> NodeRuntime.command(config);
      default ->
          throw new InitFailure(
              "Runtime.InvalidRuntime",
              "Unsupported runtime '"
                  + config.runtime()
                  + "' (supported: provided, java21, python3.11, nodejs22.x)");
    };
  }

  private static List<String> provided(AgentConfig config) {
    Path bootstrap = config.taskRoot().resolve("bootstrap");
    if (!Files.isExecutable(bootstrap)) {
      throw new InitFailure(
          "Runtime.InvalidEntrypoint", "Couldn't find valid bootstrap(s): [" + bootstrap + "]");
    }
    return List.of(bootstrap.toString());
  }

  /**
   * The official AWS runtime interface client with the function's code on the class path, sized
   * like Lambda's own java runtime: 85% of the memory as heap, serial GC, C1 only. The client's
   * jars come first: the runtime image's class-data archive of them (options in {@value
   * #ARCHIVE_OPTIONS}, made at build time) is used only when its class path is a prefix of the
   * process's. The client loads the handler with a class loader of its own over the task root.
   */
  private static List<String> java(AgentConfig config) {
    Path root = config.taskRoot();
    String classPath =
        String.join(
            File.pathSeparator,
            config.javaRuntimeClassPath().resolve("*").toString(),
            root.toString(),
            root.resolve("*").toString(),
            root.resolve("lib/*").toString());
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command =
        new ArrayList<>(
            List.of(
                java,
                "-XX:MaxHeapSize=" + (config.memoryMB() * 85L / 100) + "m",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-Djava.net.preferIPv4Stack=true",
                // the runtime interface client's JNI library; without this JDK 24+ warns at every
                // start
                "--enable-native-access=ALL-UNNAMED",
                // the client makes a FileDescriptor of _LAMBDA_TELEMETRY_LOG_FD by reflection
                // (AWS's own
                // java21 runtime opens java.io for it); without it the client falls back to stdout
                "--add-opens=java.base/java.io=ALL-UNNAMED"));
    Path jni = jniLibrary(config.javaRuntimeClassPath());
    if (jni != null) {
      command.add(JNI_PROPERTY + jni);
    }
    Path archive = config.javaRuntimeClassPath().resolve(ARCHIVE_OPTIONS);
    if (Files.isRegularFile(archive)) {
      command.add("@" + archive); // the java launcher reads options from the file
    }
    command.addAll(List.of("-cp", classPath, JAVA_RUNTIME_CLIENT, config.handler()));
    return command;
  }

  /**
   * The client's JNI library for this machine, extracted at build time; null when absent (the
   * client then unpacks its own copy to /tmp, which is private in a Pod).
   */
  static Path jniLibrary(Path runtimeClassPath) {
    String arch =
        switch (System.getProperty("os.arch")) {
          case "amd64", "x86_64" -> "x86_64";
          case "aarch64", "arm64" -> "aarch_64";
          default -> null;
        };
    if (arch == null) {
      return null;
    }
    boolean musl = Files.exists(Path.of("/etc/alpine-release"));
    Path library =
        runtimeClassPath.resolve(
            "jni/libaws-lambda-jni.linux" + (musl ? "_musl-" : "-") + arch + ".so");
    return Files.isRegularFile(library) ? library : null;
  }

  /**
   * The runtime's variables: {@code env} and the descriptor its runtime interface client writes
   * framed log records to (the Java, Python and Node.js clients read this variable; extensions do
   * not get it, nor the descriptor).
   */
  static Map<String, String> withTelemetryLog(Map<String, String> env) {
    Map<String, String> runtime = new LinkedHashMap<>(env);
    runtime.put("_LAMBDA_TELEMETRY_LOG_FD", Integer.toString(ProcessStarter.TELEMETRY_LOG_FD));
    return runtime;
  }

  /** Lambda's defined runtime environment variables over the function's own variables. */
  static Map<String, String> environment(AgentConfig config) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("PATH", "/usr/local/bin:/usr/bin:/bin:/opt/bin");
    env.put("LANG", "en_US.UTF-8");
    env.put("TZ", ":UTC");
    if (config.runtime().equals(PythonRuntime.RUNTIME)) {
      env.put(
          "PYTHONPATH", PythonRuntime.path(config)); // as on Lambda, the function may set its own
    }
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
    env.put(
        "AWS_LAMBDA_LOG_STREAM_NAME", config.functionName() + "/" + ProcessHandle.current().pid());
    env.put("AWS_REGION", config.region());
    env.put("AWS_DEFAULT_REGION", config.region());
    env.put("AWS_EXECUTION_ENV", "AWS_Lambda_" + config.runtime());
    return env;
  }
}
