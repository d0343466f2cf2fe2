package dev.klambda.agent;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * How the python3.11 runtime starts: a runtime client on the first {@code python3} of the runtime's
 * PATH, with the handler as its argument. The client is klambda's own (standard library only,
 * {@code runtimes/python/bootstrap.py}), or AWS's awslambdaric where the runtime image was built
 * with it ({@code PYTHON_RUNTIME_CLIENT=awslambdaric} installs it into the same folder).
 */
final class PythonRuntime {
  static final String RUNTIME = "python3.11";
  static final String INTERPRETER = "python3";

  private PythonRuntime() {}

  /** {@code runtimes/python} of the agent's home, beside java21's class path. */
  static Path clientDir(AgentConfig config) {
    return config.javaRuntimeClassPath().resolveSibling("python");
  }

  /**
   * The command line. A missing interpreter is an Init error naming the function and what it needs;
   * one older than 3.11 is reported by the client itself (bootstrap.py checks first). The {@code
   * -u}: print() reaches the log as it is called, as awslambdaric's unbuffered stdout does.
   */
  static List<String> command(AgentConfig config, String runtimePath) {
    Path python = interpreter(runtimePath);
    if (python == null) {
      throw new InitFailure(
          "Runtime.InvalidRuntime",
          "Function '"
              + config.functionName()
              + "' ("
              + RUNTIME
              + ") needs "
              + INTERPRETER
              + ", Python 3.11 or newer, on its PATH ("
              + runtimePath
              + "): there is none");
    }
    Path client = clientDir(config);
    List<String> command = new ArrayList<>(List.of(python.toString()));
    if (Files.isDirectory(client.resolve("awslambdaric"))) {
      command.addAll(List.of("-m", "awslambdaric"));
    } else {
      command.addAll(List.of("-u", client.resolve("bootstrap.py").toString()));
    }
    command.add(config.handler());
    return command;
  }

  /**
   * Lambda's PYTHONPATH for its Python runtimes is the runtime's folder ({@code /var/runtime}); the
   * client then imports the handler from the task root, where the function's dependencies are too,
   * and layers' libraries come from {@code /opt/python}, which here is the code's own {@code
   * python/} folder.
   */
  static String path(AgentConfig config) {
    Path root = config.taskRoot();
    return String.join(
        File.pathSeparator,
        clientDir(config).toString(),
        root.toString(),
        root.resolve("python").toString());
  }

  /** The first executable {@value #INTERPRETER} of {@code path}, or null. */
  static Path interpreter(String path) {
    for (String dir : path.split(File.pathSeparator)) {
      if (!dir.isEmpty()) {
        Path candidate = Path.of(dir, INTERPRETER);
        if (Files.isExecutable(candidate) && !Files.isDirectory(candidate)) {
          return candidate;
        }
      }
    }
    return null;
  }
}
