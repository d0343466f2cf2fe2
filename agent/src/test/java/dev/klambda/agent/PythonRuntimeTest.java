package dev.klambda.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How the agent starts python3.11: which interpreter, which client, which path. */
class PythonRuntimeTest {
  @TempDir Path dir;

  private AgentConfig config() {
    return AgentConfig.fromEnvironment(
        Map.of(
            "KLAMBDA_RUNTIME",
            "python3.11",
            "KLAMBDA_HANDLER",
            "app.handler",
            "KLAMBDA_FUNCTION_NAME",
            "hello",
            "KLAMBDA_TASK_ROOT",
            "/var/task"),
        dir.resolve("home"));
  }

  private Path python(String folder) throws IOException {
    Path python = Files.createDirectories(dir.resolve(folder)).resolve("python3");
    Files.writeString(python, "#!/bin/sh\n");
    Files.setPosixFilePermissions(python, PosixFilePermissions.fromString("rwxr-xr-x"));
    return python;
  }

  @Test
  void klambdasClientRunsOnTheFirstPython3OfThePath() throws IOException {
    Path first = python("first");
    python("second");
    String path = dir.resolve("missing") + ":" + first.getParent() + ":" + dir.resolve("second");

    assertThat(PythonRuntime.command(config(), path))
        .containsExactly(
            first.toString(),
            "-u",
            dir.resolve("home/runtimes/python/bootstrap.py").toString(),
            "app.handler");
  }

  @Test
  void awsClientRunsWhereTheImageWasBuiltWithIt() throws IOException {
    Path python = python("bin");
    Files.createDirectories(dir.resolve("home/runtimes/python/awslambdaric"));

    assertThat(PythonRuntime.command(config(), python.getParent().toString()))
        .containsExactly(python.toString(), "-m", "awslambdaric", "app.handler");
  }

  @Test
  void noPython3OnThePathIsAnInvalidRuntimeNamingTheFunction() {
    assertThatThrownBy(() -> PythonRuntime.command(config(), "/nowhere:/nor/here"))
        .isInstanceOfSatisfying(
            InitFailure.class, e -> assertThat(e.errorType()).isEqualTo("Runtime.InvalidRuntime"))
        .hasMessageContaining(
            "Function 'hello' (python3.11) needs python3, Python 3.11 or newer, on its PATH "
                + "(/nowhere:/nor/here): there is none");
  }

  @Test
  void pythonPathIsLambdasOrderAndTheFunctionMaySetItsOwn() {
    assertThat(RuntimeCommand.environment(config()))
        .containsEntry(
            "PYTHONPATH", dir.resolve("home/runtimes/python") + ":/var/task:/var/task/python");
    AgentConfig own =
        AgentConfig.fromEnvironment(
            Map.of(
                "KLAMBDA_RUNTIME",
                "python3.11",
                "KLAMBDA_FUNCTION_NAME",
                "hello",
                "PYTHONPATH",
                "/mine"),
            dir.resolve("home"));
    assertThat(RuntimeCommand.environment(own)).containsEntry("PYTHONPATH", "/mine");
  }
}
