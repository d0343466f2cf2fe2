package dev.klambda.agent;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * How {@code nodejs22.x} starts: AWS's Node.js runtime interface client (npm's {@code
 * aws-lambda-ric}, which loads {@code _HANDLER} from {@code LAMBDA_TASK_ROOT}) on the {@code node}
 * of the agent's PATH: the runtime image's Node.js 22 in a Pod, the machine's in local mode. The
 * client lives in the agent home's {@code runtimes/nodejs}, beside java21's jars.
 */
final class NodeRuntime {
  /**
   * The runtime's entry in the runtime folder, as Lambda's {@code /var/runtime/index.mjs}: it runs
   * the client (installed beside it by agent/src/main/nodejs/install-aws-lambda-ric.sh).
   */
  static final String ENTRY = "index.mjs";

  private NodeRuntime() {}

  static List<String> command(AgentConfig config) {
    Path runtimeDir = config.javaRuntimeClassPath().resolveSibling("nodejs");
    Path entry = runtimeDir.resolve(ENTRY);
    String path = System.getenv().getOrDefault("PATH", "");
    Path node = onPath("node", path);
    if (node == null) {
      throw new InitFailure(
          "Runtime.InvalidRuntime",
          "Function '"
              + config.functionName()
              + "' (nodejs22.x) needs Node.js 22 or later as 'node' on the PATH ("
              + path
              + "): there is none");
    }
    if (!Files.isRegularFile(entry)) {
      throw new InitFailure(
          "Runtime.InvalidRuntime",
          "Function '"
              + config.functionName()
              + "' (nodejs22.x) needs AWS's runtime interface client in "
              + runtimeDir
              + ": install it with "
              + "agent/src/main/nodejs/install-aws-lambda-ric.sh "
              + runtimeDir);
    }
    List<String> command = new ArrayList<>();
    if (!config.functionEnvironment().containsKey("NODE_PATH")) {
      // Lambda's bootstrap sets NODE_PATH unless the function did: layers' folders (/opt), the
      // runtime's modules, then the code's
      command.addAll(
          List.of(
              "/usr/bin/env",
              "NODE_PATH="
                  + String.join(
                      File.pathSeparator,
                      "/opt/nodejs/node22/node_modules",
                      "/opt/nodejs/node_modules",
                      runtimeDir.resolve("node_modules").toString(),
                      runtimeDir.toString(),
                      config.taskRoot().toString())));
    }
    // V8's heap sized as Lambda's bootstrap sizes it: a tenth of the memory for the young
    // generation (two semi-spaces), the rest for the old
    int newSpace = config.memoryMB() / 10;
    command.addAll(
        List.of(
            node.toString(),
            "--max-semi-space-size=" + Math.max(1, newSpace / 2),
            "--max-old-space-size=" + (config.memoryMB() - newSpace),
            entry.toString()));
    return command;
  }

  /** The first executable {@code name} in the folders of {@code path}, or null. */
  static Path onPath(String name, String path) {
    for (String dir : path.split(File.pathSeparator)) {
      if (!dir.isEmpty()) {
        Path candidate = Path.of(dir, name);
        if (Files.isExecutable(candidate) && !Files.isDirectory(candidate)) {
          return candidate;
        }
      }
    }
    return null;
  }
}
