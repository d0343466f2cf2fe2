package dev.klambda.agent;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * One execution environment in the runtime image, run as the operator's Pod runs it
 * (EnvironmentPodTemplate): two containers sharing the network and process namespaces. The agent's
 * ({@code <name>-agent}, the Pod's native sidecar) has the {@code KLAMBDA_*} variables as
 * AgentEnvironment sets them and a memory and CPU limit of its own; the function's ({@code <name>},
 * the launcher as entry point) has memory limit = the function's memory, CPU in proportion to it,
 * and a writable /tmp. Both: the code read-only at /var/task, uid 10001, a read-only root file
 * system, no capabilities.
 *
 * <p>The containers have no network ({@code --network none}): the test calls the invoke endpoint
 * from inside the agent's ({@code docker exec ... curl}), as the gateway would over the Pod's
 * address, so all test traffic stays on the Pod's own loopback.
 */
final class EnvironmentContainer implements AutoCloseable {
  static final String TASK_ROOT = "/var/task";

  /** The sizing policy's default: 1,792 MB of memory buy one vCPU (DESIGN.md, "Sizing"). */
  private static final int MB_PER_VCPU = 1792;

  private static final Duration LISTEN_TIMEOUT = Duration.ofSeconds(60);
  private static final String INVOKE_URL = "http://127.0.0.1:" + AgentProtocol.INVOKE_PORT;

  /** EnvironmentResources' defaults: the agent's memory and CPU limit. */
  private static final int AGENT_MEMORY_MB = 128;

  private static final String AGENT_CPUS = "1";
  private static final String LAUNCHER = "/opt/klambda/klambda-launcher";

  /** What the invoke endpoint answered. */
  record Response(int status, Map<String, String> headers, String body) {
    String outcome() {
      return headers.get(AgentProtocol.OUTCOME);
    }

    String errorType() {
      return headers.get(AgentProtocol.ERROR_TYPE);
    }
  }

  static final class Builder {
    private final Path code;
    private final Map<String, String> env = new LinkedHashMap<>();
    private int memoryMB = 128;

    private Builder(Path code, String runtime, String handler) {
      this.code = code;
      env.put("KLAMBDA_RUNTIME", runtime);
      env.put("KLAMBDA_HANDLER", handler);
      env.put("KLAMBDA_TASK_ROOT", TASK_ROOT);
      env.put("KLAMBDA_FUNCTION_NAME", "image-test");
      env.put("KLAMBDA_FUNCTION_ARN", "arn:aws:lambda:us-east-1:default:function:image-test");
      env.put("KLAMBDA_TIMEOUT_MS", "10000");
      env.put("KLAMBDA_INIT_TIMEOUT_MS", "10000");
      env.put("KLAMBDA_REGION", "us-east-1");
      env.put("KLAMBDA_INITIALIZATION_TYPE", "on-demand");
      env.put("KLAMBDA_LAUNCHER_ADDRESS", "127.0.0.1:9002");
    }

    Builder memoryMB(int memoryMB) {
      this.memoryMB = memoryMB;
      return this;
    }

    /** A variable of the function's own (or a {@code KLAMBDA_*} one to override). */
    Builder env(String name, String value) {
      env.put(name, value);
      return this;
    }

    /**
     * {@code docker run -d} of both containers, the agent's first (as the kubelet starts a native
     * sidecar first): returns once they run (the agent may still be starting).
     */
    EnvironmentContainer start() {
      env.put("KLAMBDA_MEMORY_MB", Integer.toString(memoryMB));
      long millicores = (memoryMB * 1000L + MB_PER_VCPU - 1) / MB_PER_VCPU;
      String name = "klambda-it-" + UUID.randomUUID().toString().substring(0, 8);
      List<String> agent =
          run(name + "-agent", AGENT_MEMORY_MB, AGENT_CPUS, List.of("--network", "none"));
      env.forEach((k, v) -> agent.addAll(List.of("-e", k + "=" + v)));
      agent.add(Docker.RUNTIME_IMAGE);
      Docker.docker(agent.toArray(String[]::new));
      List<String> function =
          run(
              name,
              memoryMB,
              String.format(Locale.ROOT, "%.3f", millicores / 1000.0),
              List.of(
                  "--network",
                  "container:" + name + "-agent",
                  "--pid",
                  "container:" + name + "-agent",
                  // an emptyDir is exec-able; docker's tmpfs is noexec unless told
                  "--tmpfs",
                  "/tmp:rw,exec,nosuid,nodev,size=512m",
                  "--entrypoint",
                  LAUNCHER));
      function.add(Docker.RUNTIME_IMAGE);
      Docker.docker(function.toArray(String[]::new));
      long timeoutSeconds = Long.parseLong(env.get("KLAMBDA_TIMEOUT_MS")) / 1000;
      return new EnvironmentContainer(name, timeoutSeconds + 5);
    }

    /** What both containers share: the Pod's security context, the code, limits of their own. */
    private List<String> run(String name, int memoryMB, String cpus, List<String> more) {
      List<String> run =
          new ArrayList<>(
              List.of(
                  "run",
                  "-d",
                  "--name",
                  name,
                  "--label",
                  "dev.klambda.test=RuntimeImageIT",
                  "--read-only",
                  "--user",
                  "10001:10001",
                  "--cap-drop",
                  "ALL",
                  "--security-opt",
                  "no-new-privileges",
                  "--memory",
                  memoryMB + "m",
                  "--memory-swap",
                  memoryMB + "m",
                  "--cpus",
                  cpus,
                  "-v",
                  code.toAbsolutePath() + ":" + TASK_ROOT + ":ro"));
      run.addAll(more);
      return run;
    }
  }

  private final String name;
  private final long gracePeriodSeconds;

  private EnvironmentContainer(String name, long gracePeriodSeconds) {
    this.name = name;
    this.gracePeriodSeconds = gracePeriodSeconds;
  }

  /** A function whose code is the folder {@code code} (its task root). */
  static Builder builder(Path code, String runtime, String handler) {
    return new Builder(code, runtime, handler);
  }

  /**
   * {@code GET /klambda/ready?waitMs=...} once the agent listens: 200 when Init succeeded, 500 with
   * the error when it failed.
   */
  Response awaitInitEnd() throws InterruptedException {
    long deadline = System.nanoTime() + LISTEN_TIMEOUT.toNanos();
    while (true) {
      Docker.Result ready =
          exec(
              null,
              "curl",
              "-sS",
              "-i",
              "--max-time",
              "60",
              INVOKE_URL
                  + AgentProtocol.READY_PATH
                  + "?"
                  + AgentProtocol.READY_WAIT_PARAMETER
                  + "=30000");
      boolean notListening = ready.exitCode() == 7;
      if (!notListening) {
        return parse(ready);
      }
      if (!running() || System.nanoTime() > deadline) {
        throw new IllegalStateException("the agent of " + name + " did not listen:\n" + logs());
      }
      Thread.sleep(250);
    }
  }

  /** {@code POST /klambda/invoke} with the payload and header name/value pairs. */
  Response invoke(String payload, String... headers) {
    // no "Expect: 100-continue" for large bodies: one response to parse, as the gateway sends it
    List<String> curl =
        new ArrayList<>(
            List.of(
                "curl",
                "-sS",
                "-i",
                "--max-time",
                "60",
                "-X",
                "POST",
                "-H",
                "Expect:",
                "--data-binary",
                "@-"));
    for (int i = 0; i + 1 < headers.length; i += 2) {
      curl.addAll(List.of("-H", headers[i] + ": " + headers[i + 1]));
    }
    curl.add(INVOKE_URL + AgentProtocol.INVOKE_PATH);
    return parse(exec(payload.getBytes(UTF_8), curl.toArray(String[]::new)));
  }

  /**
   * Everything the agent's container printed (the agent's lines and the runtime's output, which
   * reaches it through the launcher), then the function container's own (the launcher's).
   */
  String logs() {
    Docker.Result agent = Docker.run(Duration.ofSeconds(30), null, "docker", "logs", agent());
    Docker.Result function = Docker.run(Duration.ofSeconds(30), null, "docker", "logs", name);
    return agent.stdout() + agent.stderr() + function.stdout() + function.stderr();
  }

  /**
   * Waits until the logs hold {@code lines} in this order: an invocation's END and REPORT come when
   * its runtime asks for the next event, after its answer.
   */
  void awaitLogs(String... lines) {
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(250))
        .untilAsserted(
            () -> org.assertj.core.api.Assertions.assertThat(logs()).containsSubsequence(lines));
  }

  /** Whether both containers run. */
  boolean running() {
    return running(name) && running(agent());
  }

  /**
   * Deletes the Pod as the kubelet would: {@code docker stop} of the function's container (its
   * launcher passes SIGTERM on to the agent), then of the agent's; SIGKILL after the Pod's grace
   * period (timeout + 5 s, as EnvironmentPodTemplate sets it). Returns the agent's exit code.
   */
  int stop() {
    Docker.docker("stop", "-t", Long.toString(gracePeriodSeconds), name);
    Docker.docker("stop", "-t", Long.toString(gracePeriodSeconds), agent());
    return Integer.parseInt(
        Docker.docker("inspect", "-f", "{{.State.ExitCode}}", agent()).stdout().strip());
  }

  @Override
  public void close() {
    Docker.run(Duration.ofSeconds(30), null, "docker", "rm", "-f", name, agent());
  }

  private String agent() {
    return name + "-agent";
  }

  private static boolean running(String container) {
    return "true"
        .equals(
            Docker.run(
                    Duration.ofSeconds(30),
                    null,
                    "docker",
                    "inspect",
                    "-f",
                    "{{.State.Running}}",
                    container)
                .stdout()
                .strip());
  }

  @Override
  public String toString() {
    return name;
  }

  private Docker.Result exec(byte[] stdin, String... command) {
    List<String> exec = new ArrayList<>(List.of("docker", "exec", "-i", agent()));
    exec.addAll(List.of(command));
    return Docker.run(Duration.ofSeconds(90), stdin, exec.toArray(String[]::new));
  }

  /** curl's {@code -i} output: status line, headers, a blank line, the body. */
  private Response parse(Docker.Result curl) {
    if (curl.exitCode() != 0) {
      throw new IllegalStateException(
          "curl in "
              + name
              + " exited with "
              + curl.exitCode()
              + ": "
              + curl.stderr()
              + "\n"
              + logs());
    }
    String out = curl.stdout();
    int end = out.indexOf("\r\n\r\n");
    String[] head = out.substring(0, end).split("\r\n");
    Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    for (int i = 1; i < head.length; i++) {
      int colon = head[i].indexOf(':');
      headers.put(head[i].substring(0, colon).strip(), head[i].substring(colon + 1).strip());
    }
    return new Response(Integer.parseInt(head[0].split(" ")[1]), headers, out.substring(end + 4));
  }
}
