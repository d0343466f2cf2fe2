package dev.klambda.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeRuntimeTest {
  @TempDir Path home;

  private AgentConfig config(Map<String, String> more) {
    Map<String, String> env =
        new java.util.HashMap<>(
            Map.of(
                "KLAMBDA_RUNTIME",
                "nodejs22.x",
                "KLAMBDA_HANDLER",
                "index.handler",
                "KLAMBDA_FUNCTION_NAME",
                "hello",
                "KLAMBDA_TASK_ROOT",
                "/var/task",
                "KLAMBDA_MEMORY_MB",
                "128"));
    env.putAll(more);
    return AgentConfig.fromEnvironment(env, home);
  }

  private Path entry() throws IOException {
    return Files.writeString(
        Files.createDirectories(home.resolve("runtimes/nodejs")).resolve("index.mjs"), "");
  }

  @Test
  void startsTheEntryOnNodeAsLambdasBootstrapDoes() throws IOException {
    Path node = NodeRuntime.onPath("node", System.getenv().getOrDefault("PATH", ""));
    assumeThat(node).as("node on the PATH").isNotNull();
    Path entry = entry();

    List<String> command = RuntimeCommand.of(config(Map.of()));

    Path runtime = home.resolve("runtimes/nodejs");
    assertThat(command)
        .containsExactly(
            "/usr/bin/env",
            "NODE_PATH=/opt/nodejs/node22/node_modules:/opt/nodejs/node_modules:"
                + runtime.resolve("node_modules")
                + ":"
                + runtime
                + ":/var/task",
            node.toString(),
            "--max-semi-space-size=6",
            "--max-old-space-size=116",
            entry.toString());
  }

  @Test
  void theFunctionsOwnNodePathWins() throws IOException {
    assumeThat(NodeRuntime.onPath("node", System.getenv().getOrDefault("PATH", ""))).isNotNull();
    entry();

    assertThat(RuntimeCommand.of(config(Map.of("NODE_PATH", "/mine"))).getFirst()).endsWith("node");
  }

  @Test
  void withoutTheClientInitFailsSayingHowToInstallIt() {
    assumeThat(NodeRuntime.onPath("node", System.getenv().getOrDefault("PATH", ""))).isNotNull();

    assertThatThrownBy(() -> RuntimeCommand.of(config(Map.of())))
        .isInstanceOfSatisfying(
            InitFailure.class, e -> assertThat(e.errorType()).isEqualTo("Runtime.InvalidRuntime"))
        .hasMessageContaining(
            "Function 'hello' (nodejs22.x) needs AWS's runtime interface client in "
                + home.resolve("runtimes/nodejs"))
        .hasMessageContaining("install-aws-lambda-ric.sh");
  }

  @Test
  void nodeIsLookedUpInThePathsFolders(@TempDir Path bin) throws IOException {
    Path node = Files.createFile(bin.resolve("node"));
    assertThat(NodeRuntime.onPath("node", "/no/such/dir:" + bin)).isNull(); // not executable
    assertThat(node.toFile().setExecutable(true)).isTrue();
    assertThat(NodeRuntime.onPath("node", "/no/such/dir:" + bin)).isEqualTo(node);
  }
}
