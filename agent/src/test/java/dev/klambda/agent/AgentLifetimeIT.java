package dev.klambda.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An environment never outlives what started it (local mode's process, killed without a word). */
class AgentLifetimeIT {
  @Test
  void theAgentAndItsRuntimeStopWhenTheirParentDies(@TempDir Path dir) throws Exception {
    Path task = dir.resolve("task");
    Files.createDirectories(task);
    Path bootstrap = task.resolve("bootstrap");
    Files.writeString(
        bootstrap,
        "#!/bin/bash\nexec curl -sS \"http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/invocation/next\"\n");
    bootstrap.toFile().setExecutable(true);
    Path pidFile = dir.resolve("agent.pid");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    // a parent that starts the agent, then is killed with SIGKILL: it cannot stop its child
    ProcessBuilder parent =
        new ProcessBuilder(
            "bash",
            "-c",
            "'"
                + java
                + "' -jar '"
                + AgentProcess.JAR.toAbsolutePath()
                + "' & echo $! > '"
                + pidFile
                + "'; wait");
    // an address of its own: a left-over agent of another run must not hold the ports
    String host = "127.0.77." + ThreadLocalRandom.current().nextInt(1, 255);
    parent
        .environment()
        .putAll(
            Map.of(
                "KLAMBDA_RUNTIME",
                "provided",
                "KLAMBDA_FUNCTION_NAME",
                "orphan",
                "KLAMBDA_TASK_ROOT",
                task.toString(),
                "KLAMBDA_RUNTIME_API",
                host + ":9001",
                "KLAMBDA_INVOKE_ADDRESS",
                host + ":9000"));
    Process shell =
        parent.redirectErrorStream(true).redirectOutput(dir.resolve("agent.log").toFile()).start();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> Files.exists(pidFile) && !Files.readString(pidFile).isBlank());
    long pid = Long.parseLong(Files.readString(pidFile).strip());
    ProcessHandle agent = ProcessHandle.of(pid).orElseThrow();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> agent.children().findAny().isPresent()); // the runtime runs
    ProcessHandle runtime = agent.children().findFirst().orElseThrow();

    shell.toHandle().destroyForcibly();

    await().atMost(Duration.ofSeconds(15)).until(() -> !agent.isAlive() && !runtime.isAlive());
    assertThat(Optional.of(agent).filter(ProcessHandle::isAlive)).isEmpty();
  }
}
