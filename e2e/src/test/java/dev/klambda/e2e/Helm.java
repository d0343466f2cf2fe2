package dev.klambda.e2e;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** The helm command on this machine, always with the kubeconfig of the cluster under test. */
final class Helm {
  private final Path kubeconfig;

  Helm(Path kubeconfig) {
    this.kubeconfig = kubeconfig;
  }

  static boolean installed() {
    return Stream.of(
            Objects.requireNonNullElse(System.getenv("PATH"), "").split(File.pathSeparator))
        .anyMatch(dir -> !dir.isEmpty() && Files.isExecutable(Path.of(dir, "helm")));
  }

  /** Runs {@code helm ARGS --kubeconfig ...}; fails with helm's output unless it exits with 0. */
  String run(Duration timeout, List<String> args) {
    List<String> command = new ArrayList<>(List.of("helm"));
    command.addAll(args);
    command.addAll(List.of("--kubeconfig", kubeconfig.toString()));
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      process.getOutputStream().close();
      // read on a virtual thread: helm may print more than a pipe holds while we wait
      StringBuilder output = new StringBuilder();
      Thread reader =
          Thread.ofVirtual()
              .start(
                  () -> {
                    try {
                      output.append(
                          new String(
                              process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
                    } catch (IOException e) {
                      output.append("(output unreadable: ").append(e).append(')');
                    }
                  });
      if (!process.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException(
            "helm did not finish in " + timeout.toSeconds() + " s: " + command);
      }
      reader.join(Duration.ofSeconds(10));
      if (process.exitValue() != 0) {
        throw new IllegalStateException(
            "helm exited with " + process.exitValue() + ": " + command + "\n" + output);
      }
      return output.toString();
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + command, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
