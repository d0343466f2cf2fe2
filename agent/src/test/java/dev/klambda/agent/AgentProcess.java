package dev.klambda.agent;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The real agent ({@code target/klambda-agent.jar}) as a process of its own, on a loopback address
 * of its own, with a task root of bootstrap and extension scripts; plus the HTTP calls a test makes
 * to its invoke endpoint and, acting as a runtime, to its Runtime API.
 */
final class AgentProcess implements AutoCloseable {
  static final Path JAR = Path.of("target/klambda-agent.jar");
  static final Duration START_TIMEOUT = Duration.ofSeconds(10);

  /** 127.0.RUN.N: a third octet per test run, so that concurrent runs do not share addresses. */
  private static final int RUN = ThreadLocalRandom.current().nextInt(1, 255);

  private static final AtomicInteger NEXT_HOST = new AtomicInteger(1);
  private static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(2))
          .build();

  /** What the invoke endpoint answered. */
  record Invoked(int status, HttpHeaders headers, String body) {
    String header(String name) {
      return headers.firstValue(name).orElse(null);
    }

    String outcome() {
      return header(AgentProtocol.OUTCOME);
    }

    String errorType() {
      return header(AgentProtocol.ERROR_TYPE);
    }

    /** The decoded {@code Klambda-Log-Result}. */
    String logTail() {
      String tail = header(AgentProtocol.LOG_RESULT);
      return tail == null ? null : new String(Base64.getDecoder().decode(tail), UTF_8);
    }
  }

  /** A task root and the agent's environment, then {@link #start}. */
  static final class Builder {
    private final Path taskRoot;
    private final Path log;
    private final Map<String, String> env = new LinkedHashMap<>();

    private Builder(Path dir, String name) {
      this.taskRoot = dir.resolve("task");
      this.log = Path.of("target/agent-logs", name + ".log");
      env.put("KLAMBDA_RUNTIME", "provided");
      env.put("KLAMBDA_FUNCTION_NAME", "test-function");
      env.put("KLAMBDA_TASK_ROOT", taskRoot.toString());
      env.put("KLAMBDA_MEMORY_MB", "128");
      env.put("KLAMBDA_TIMEOUT_MS", "3000");
      env.put("KLAMBDA_INIT_TIMEOUT_MS", "5000");
    }

    /**
     * A warm-pool member of the provided runtime at 128 MB: no function, an empty task root, and a
     * claim to come.
     */
    Builder pooled() {
      env.remove("KLAMBDA_FUNCTION_NAME");
      env.remove("KLAMBDA_TIMEOUT_MS");
      env.remove("KLAMBDA_INIT_TIMEOUT_MS");
      env.put(AgentProtocol.POOL_VARIABLE, "provided-128");
      return this;
    }

    Builder bootstrap(String script) {
      return executable("bootstrap", script);
    }

    /** A file of the function's code (not executable), e.g. a Python module. */
    Builder file(String relativePath, String content) {
      try {
        Path file = taskRoot.resolve(relativePath);
        Files.createDirectories(file.getParent());
        Files.writeString(file, content);
        return this;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    Builder extension(String name, String script) {
      return executable("extensions/" + name, script);
    }

    Builder env(String name, String value) {
      env.put(name, value);
      return this;
    }

    /** Starts the agent and waits until its invoke endpoint answers (Init may still be running). */
    AgentProcess start() throws IOException, InterruptedException {
      String host = "127.0." + RUN + "." + NEXT_HOST.getAndIncrement();
      env.put("KLAMBDA_RUNTIME_API", host + ":" + AgentProtocol.RUNTIME_API_PORT);
      env.put("KLAMBDA_INVOKE_ADDRESS", host + ":" + AgentProtocol.INVOKE_PORT);
      Files.createDirectories(taskRoot);
      Files.createDirectories(log.getParent());
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      ProcessBuilder builder =
          new ProcessBuilder(java, "-jar", JAR.toAbsolutePath().toString())
              .redirectErrorStream(true)
              .redirectOutput(log.toFile());
      // only what the test sets: every non-KLAMBDA_ variable is the function's own
      builder.environment().clear();
      builder.environment().putAll(env);
      AgentProcess agent = new AgentProcess(builder.start(), host, taskRoot, log);
      try {
        agent.awaitListening();
      } catch (Throwable e) {
        agent.close();
        throw e;
      }
      return agent;
    }

    private Builder executable(String relativePath, String script) {
      try {
        Path file = taskRoot.resolve(relativePath);
        Files.createDirectories(file.getParent());
        Files.writeString(file, script);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        return this;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  private final Process process;
  private final String host;
  private final Path taskRoot;
  private final Path log;

  private AgentProcess(Process process, String host, Path taskRoot, Path log) {
    this.process = process;
    this.host = host;
    this.taskRoot = taskRoot;
    this.log = log;
  }

  /**
   * An agent whose task root is in {@code dir}, its output in {@code target/agent-logs/NAME.log}.
   */
  static Builder builder(Path dir, String name) {
    return new Builder(dir, name);
  }

  Process process() {
    return process;
  }

  /** {@code host:port} of the Runtime API, as in the runtime's {@code AWS_LAMBDA_RUNTIME_API}. */
  String runtimeApi() {
    return host + ":" + AgentProtocol.RUNTIME_API_PORT;
  }

  Path taskRoot() {
    return taskRoot;
  }

  /** Everything the agent printed so far: its log lines and the runtime's output. */
  String log() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  // ---- the invoke endpoint ----

  /** {@code GET /klambda/ready?waitMs=N}: 200 ready, 500 Init failed, 503 still starting. */
  HttpResponse<String> ready(Duration wait) throws IOException, InterruptedException {
    return HTTP.send(
        HttpRequest.newBuilder(
                invokeUri(
                    AgentProtocol.READY_PATH
                        + "?"
                        + AgentProtocol.READY_WAIT_PARAMETER
                        + "="
                        + wait.toMillis()))
            .timeout(wait.plusSeconds(5))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The readiness once Init is over (200 or 500), or 503 after {@code START_TIMEOUT}. */
  HttpResponse<String> awaitInitEnd() throws IOException, InterruptedException {
    return ready(START_TIMEOUT);
  }

  /** {@code GET /klambda/settled?waitMs=N}: the settlements of invocations answered early. */
  java.util.List<Settlement> settled(Duration wait) throws IOException, InterruptedException {
    HttpResponse<Void> answer =
        HTTP.send(
            HttpRequest.newBuilder(
                    invokeUri(
                        AgentProtocol.SETTLED_PATH
                            + "?"
                            + AgentProtocol.READY_WAIT_PARAMETER
                            + "="
                            + wait.toMillis()))
                .timeout(wait.plusSeconds(5))
                .build(),
            HttpResponse.BodyHandlers.discarding());
    return Settlement.decode(answer.headers().firstValue(AgentProtocol.SETTLED).orElse(null));
  }

  /**
   * Waits until the log holds {@code lines} in this order (what ends a phase comes after its
   * answer).
   */
  void awaitLog(String... lines) {
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> org.assertj.core.api.Assertions.assertThat(log()).containsSubsequence(lines));
  }

  /** {@code GET /klambda/claim?waitMs=N}: 204 claimable, 409 not (any more), 503 not yet. */
  int claimable(Duration wait) throws IOException, InterruptedException {
    return HTTP.send(
            HttpRequest.newBuilder(
                    invokeUri(
                        AgentProtocol.CLAIM_PATH
                            + "?"
                            + AgentProtocol.READY_WAIT_PARAMETER
                            + "="
                            + wait.toMillis()))
                .timeout(wait.plusSeconds(5))
                .build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  /** {@code POST /klambda/claim} with {@code body} (a {@link PoolClaim}'s encoding, or not). */
  HttpResponse<String> claim(byte[] body, String... headers)
      throws IOException, InterruptedException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(invokeUri(AgentProtocol.CLAIM_PATH))
            .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (headers.length > 0) {
      request.headers(headers);
    }
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  Invoked invoke(String payload, String... headers) throws Exception {
    return invokeAsync(payload, headers).get(30, TimeUnit.SECONDS);
  }

  /** {@code POST /klambda/invoke} with the payload and header name/value pairs. */
  CompletableFuture<Invoked> invokeAsync(String payload, String... headers) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(invokeUri(AgentProtocol.INVOKE_PATH))
            .POST(HttpRequest.BodyPublishers.ofString(payload));
    if (headers.length > 0) {
      request.headers(headers);
    }
    return HTTP.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString())
        .thenApply(r -> new Invoked(r.statusCode(), r.headers(), r.body()));
  }

  // ---- the Runtime API, as the runtime calls it ----

  /**
   * {@code GET /2018-06-01/runtime/invocation/next}: completes when the agent hands out an event.
   */
  CompletableFuture<HttpResponse<String>> nextInvocation() {
    return HTTP.sendAsync(
        HttpRequest.newBuilder(runtimeUri("invocation/next")).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** {@code POST /2018-06-01/runtime/PATH} with a body and header name/value pairs. */
  HttpResponse<String> postRuntime(String path, byte[] body, String... headers)
      throws IOException, InterruptedException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(runtimeUri(path)).POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (headers.length > 0) {
      request.headers(headers);
    }
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  // ---- stopping ----

  /** SIGTERM, as Kubernetes stops a pod: the agent shuts down gracefully. */
  void terminate() {
    process.destroy();
  }

  /** Whether the agent process has ended within {@code timeout}. */
  boolean exitsWithin(Duration timeout) throws InterruptedException {
    return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** SIGTERM and a wait; then SIGKILL to whatever is left of the agent and its children. */
  @Override
  public void close() throws InterruptedException {
    List<ProcessHandle> children = process.descendants().toList();
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }
    children.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
  }

  private void awaitListening() throws IOException, InterruptedException {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (true) {
      try {
        ready(Duration.ZERO);
        return;
      } catch (ConnectException notYet) {
        if (!process.isAlive()) {
          throw new IllegalStateException(
              "the agent exited with " + process.exitValue() + ":\n" + log());
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "the agent did not listen on " + host + " in time:\n" + log());
        }
        Thread.sleep(20);
      }
    }
  }

  private URI invokeUri(String pathAndQuery) {
    return URI.create("http://" + host + ":" + AgentProtocol.INVOKE_PORT + pathAndQuery);
  }

  private URI runtimeUri(String path) {
    return URI.create(
        "http://" + host + ":" + AgentProtocol.RUNTIME_API_PORT + "/2018-06-01/runtime/" + path);
  }
}
