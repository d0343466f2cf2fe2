package dev.klambda.local;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether this machine runs nodejs22.x in local mode: Node.js 22+ as {@code node}, and AWS's
 * runtime interface client, which the build installs into the agent only where it can compile it.
 * The Node.js tests are skipped with the reason where not (.ci/install-node.sh installs both).
 */
final class NodeRuntimeAvailability {
  private NodeRuntimeAvailability() {}

  /** Why nodejs22.x cannot run here, or null. */
  static String unavailableReason() {
    String node = LocalNode.problem("nodejs22.x");
    if (node != null) {
      return node;
    }
    Path entry = Path.of("target/agent/runtimes/nodejs/index.mjs");
    return Files.isRegularFile(entry)
        ? null
        : "the build installed no Node.js runtime interface client ("
            + entry
            + "): see its message in the"
            + " build's log of agent (it needs npm, g++, make, cmake, autotools and python3)";
  }
}
