package dev.klambda.chart;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** The helm command on this machine, run against charts/klambda. */
final class Helm {
  static final Path CHART = Path.of("../charts/klambda");
  static final String RELEASE_NAMESPACE = "klambda-system";

  private Helm() {}

  /** Skips the calling test where helm is missing (.ci/install-helm.sh installs it). */
  static void assumeInstalled() {
    boolean found =
        Stream.of(Objects.requireNonNullElse(System.getenv("PATH"), "").split(File.pathSeparator))
            .anyMatch(dir -> !dir.isEmpty() && Files.isExecutable(Path.of(dir, "helm")));
    assumeTrue(
        found,
        "helm is not on PATH: the chart tests are skipped (run .ci/install-helm.sh to install it)");
  }

  /**
   * {@code helm template klambda charts/klambda -n klambda-system ARGS}, parsed, one map per
   * document.
   */
  static List<Map<String, Object>> template(String... args) {
    List<String> command =
        new ArrayList<>(List.of("template", "klambda", CHART.toString(), "-n", RELEASE_NAMESPACE));
    command.addAll(List.of(args));
    Result result = run(command);
    if (result.exit() != 0) {
      throw new AssertionError(
          "helm " + String.join(" ", command) + " failed:\n" + result.output());
    }
    try (MappingIterator<Map<String, Object>> documents =
        new YAMLMapper().readerForMapOf(Object.class).readValues(result.output())) {
      return documents.readAll().stream().filter(Objects::nonNull).toList();
    } catch (IOException e) {
      throw new AssertionError("helm template printed YAML that does not parse", e);
    }
  }

  /** Exit code and stdout + stderr of helm. */
  record Result(int exit, String output) {}

  static Result run(List<String> args) {
    List<String> command = new ArrayList<>(List.of("helm"));
    command.addAll(args);
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      byte[] out = process.getInputStream().readAllBytes();
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new AssertionError("helm did not finish in 60 s: " + command);
      }
      return new Result(process.exitValue(), new String(out, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new AssertionError("cannot run " + command, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
