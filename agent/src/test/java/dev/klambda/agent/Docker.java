package dev.klambda.agent;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The {@code docker} command line, as CI and a developer use it: no client library, so what the
 * tests do can be repeated by hand. Builds the runtime image from this module's Dockerfile; the
 * operator's image tests use it too (this module's test jar).
 */
public final class Docker {
  /** The image the operator puts in environment Pods by default (Options.DEFAULT_RUNTIME_IMAGE). */
  static final String RUNTIME_IMAGE = "klambda/runtime:0.1.0";

  /** The JRE base image .ci/build-base-images.sh makes where nothing can be pulled. */
  static final String LOCAL_BASE_IMAGE = "klambda/base-jre:25";

  /** Overrides the base image of the runtime image: {@code -Dklambda.image.base=...}. */
  static final String BASE_IMAGE_PROPERTY = "klambda.image.base";

  /** What a command printed, and how it ended. */
  public record Result(int exitCode, String stdout, String stderr) {
    Result orThrow(List<String> command) {
      if (exitCode != 0) {
        throw new IllegalStateException(
            String.join(" ", command) + " exited with " + exitCode + ":\n" + stdout + stderr);
      }
      return this;
    }
  }

  private Docker() {}

  /** Why no Docker engine can be used here, or null when one answers. */
  public static String unavailableReason() {
    try {
      Result version =
          run(Duration.ofSeconds(20), null, "docker", "version", "--format", "{{.Server.Version}}");
      return version.exitCode() == 0
          ? null
          : "no Docker engine reachable (docker version: " + version.stderr().strip() + ")";
    } catch (UncheckedIOException e) {
      return "no docker command (" + e.getCause().getMessage() + ")";
    }
  }

  /** Builds {@link #RUNTIME_IMAGE} from this module's Dockerfile and the agent this build made. */
  static String buildRuntimeImage() {
    return build(RUNTIME_IMAGE, "dev.klambda.image=runtime");
  }

  /**
   * {@code docker build} of the Dockerfile in the working directory (the module's) as {@code
   * image}, so the tests run this commit's jars. The base: the property, else the local JRE base
   * where it exists, else the Dockerfile's default (a public image, pulled). Returns the base used.
   *
   * @param label the Dockerfile's {@code LABEL}, to remove the untagged builds this one replaced
   */
  public static String build(String image, String label) {
    String base = System.getProperty(BASE_IMAGE_PROPERTY, "");
    if (base.isBlank() && imageExists(LOCAL_BASE_IMAGE)) {
      base = LOCAL_BASE_IMAGE;
    }
    List<String> command = new ArrayList<>(List.of("docker", "build", "-q", "-t", image));
    if (!base.isBlank()) {
      command.addAll(List.of("--build-arg", "BASE_IMAGE=" + base));
    }
    String certificates = extraCaCertificates();
    if (!certificates.isEmpty()) {
      command.addAll(List.of("--build-arg", "EXTRA_CA_CERTIFICATES=" + certificates));
    }
    command.add(".");
    // the first build of the runtime image compiles the Node.js runtime client (docker caches it)
    run(Duration.ofMinutes(20), null, command.toArray(String[]::new)).orThrow(command);
    // without this every changed jar leaves an untagged image behind
    docker("image", "prune", "-f", "--filter", "label=" + label);
    return base.isBlank() ? "the Dockerfile's default" : base;
  }

  /**
   * The certificate authorities this machine added to its own (Debian's
   * /usr/local/share/ca-certificates), for image builds that download through a proxy that re-signs
   * TLS, as this machine's tools do; empty when there are none.
   */
  private static String extraCaCertificates() {
    Path dir = Path.of("/usr/local/share/ca-certificates");
    if (!Files.isDirectory(dir)) {
      return "";
    }
    try (Stream<Path> files = Files.list(dir)) {
      StringBuilder pem = new StringBuilder();
      for (Path file : files.filter(f -> f.toString().endsWith(".crt")).sorted().toList()) {
        pem.append(Files.readString(file).strip()).append('\n');
      }
      return pem.toString().strip();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static boolean imageExists(String image) {
    return run(Duration.ofSeconds(20), null, "docker", "image", "inspect", image).exitCode() == 0;
  }

  /** {@code docker ARGS...}, failing unless it exits 0. */
  public static Result docker(String... args) {
    List<String> command = new ArrayList<>(List.of("docker"));
    command.addAll(List.of(args));
    return run(Duration.ofMinutes(2), null, command.toArray(String[]::new)).orThrow(command);
  }

  /** Runs a command with {@code stdin} (or none) and waits up to {@code timeout} for it. */
  public static Result run(Duration timeout, byte[] stdin, String... command) {
    try {
      Process process = new ProcessBuilder(command).start();
      CompletableFuture<String> out = drain(process.getInputStream());
      CompletableFuture<String> err = drain(process.getErrorStream());
      try (var in = process.getOutputStream()) {
        if (stdin != null) {
          in.write(stdin);
        }
      }
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

  private static CompletableFuture<String> drain(InputStream stream) {
    // a thread each: reading one stream must not wait for the other to be read
    return CompletableFuture.supplyAsync(
        () -> {
          try (stream) {
            return new String(stream.readAllBytes(), UTF_8);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        },
        task -> Thread.ofVirtual().start(task));
  }
}
