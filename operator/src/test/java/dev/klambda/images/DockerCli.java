package dev.klambda.images;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The {@code docker} command line, as CI and a developer use it (the runtime image's tests have
 * the same in runtime-image: a test module does not see the other's test classes).
 */
final class DockerCli {
  /** The JRE base image .ci/build-base-images.sh makes where nothing can be pulled. */
  static final String LOCAL_BASE_IMAGE = "klambda/base-jre:25";
  /** Overrides the base image: {@code -Dklambda.image.base=...}. */
  static final String BASE_IMAGE_PROPERTY = "klambda.image.base";

  record Result(int exitCode, String stdout, String stderr) {}

  private DockerCli() {}

  /** Why no Docker engine can be used here, or null when one answers. */
  static String unavailableReason() {
    try {
      Result version = run(Duration.ofSeconds(20), "version", "--format", "{{.Server.Version}}");
      return version.exitCode() == 0 ? null
          : "no Docker engine reachable (docker version: " + version.stderr().strip() + ")";
    } catch (UncheckedIOException e) {
      return "no docker command (" + e.getCause().getMessage() + ")";
    }
  }

  /**
   * {@code docker build} of the Dockerfile in the working directory (this module's) as
   * {@code image}, FROM the property's base, else the local JRE base where it exists, else the
   * Dockerfile's default; then removes the untagged images of the Dockerfile's {@code label}.
   * Returns the base used.
   */
  static String build(String image, String label) {
    String base = System.getProperty(BASE_IMAGE_PROPERTY, "");
    if (base.isBlank() && run(Duration.ofSeconds(20), "image", "inspect", LOCAL_BASE_IMAGE).exitCode() == 0) {
      base = LOCAL_BASE_IMAGE;
    }
    List<String> args = new ArrayList<>(List.of("build", "-q", "-t", image));
    if (!base.isBlank()) {
      args.addAll(List.of("--build-arg", "BASE_IMAGE=" + base));
    }
    args.add(".");
    docker(Duration.ofMinutes(10), args.toArray(String[]::new));
    // the builds this one replaced, untagged: without this every changed jar leaves one behind
    docker(Duration.ofMinutes(1), "image", "prune", "-f", "--filter", "label=" + label);
    return base.isBlank() ? "the Dockerfile's default" : base;
  }

  /** {@code docker ARGS...}, failing unless it exits 0. */
  static Result docker(Duration timeout, String... args) {
    Result result = run(timeout, args);
    if (result.exitCode() != 0) {
      throw new IllegalStateException("docker " + String.join(" ", args) + " exited with "
          + result.exitCode() + ":\n" + result.stdout() + result.stderr());
    }
    return result;
  }

  static Result run(Duration timeout, String... args) {
    List<String> command = new ArrayList<>(List.of("docker"));
    command.addAll(List.of(args));
    try {
      Process process = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(
          new java.io.File("/dev/null"))).start();
      CompletableFuture<String> out = drain(process.getInputStream());
      CompletableFuture<String> err = drain(process.getErrorStream());
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException(String.join(" ", command) + " took longer than " + timeout);
      }
      return new Result(process.exitValue(), out.join(), err.join());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** A thread each for stdout and stderr: reading one must not wait for the other. */
  private static CompletableFuture<String> drain(InputStream stream) {
    return CompletableFuture.supplyAsync(() -> {
      try (stream) {
        return new String(stream.readAllBytes(), UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }, task -> Thread.ofVirtual().start(task));
  }
}
