package dev.klambda.environments;

import dev.klambda.agent.AgentProtocol;
import dev.klambda.function.CodeSource;
import dev.klambda.function.FunctionConfig;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Local mode's environments: one agent process per environment, on its own loopback address, with
 * the function's code written once into a task root under the work folder. The agent runs in its
 * own session ({@code setsid}) so a Ctrl-C in the terminal reaches klambda only, and klambda
 * shuts environments down in order.
 */
public final class LocalProcessEnvironmentManager implements EnvironmentManager {
  private static final List<String> AGENT_JVM_OPTIONS = List.of(
      "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto", "-Xss512k",
      "-XX:MaxRAM=256m", "-XX:-UsePerfData");
  private static final Duration START_ALLOWANCE = Duration.ofSeconds(10);

  private final AgentDistribution agent;
  private final Path workDir;
  private final String region;
  private final AgentClient agentClient;
  private final PrintStream logs;
  private final LoopbackAddresses addresses = new LoopbackAddresses();
  private final Executor executor = Executors.newVirtualThreadPerTaskExecutor();
  private final Map<String, Path> taskRoots = new ConcurrentHashMap<>();
  private final Map<Environment, Process> processes = new ConcurrentHashMap<>();

  public LocalProcessEnvironmentManager(AgentDistribution agent, Path workDir, String region,
      AgentClient agentClient, PrintStream logs) {
    this.agent = agent;
    this.workDir = workDir;
    this.region = region;
    this.agentClient = agentClient;
    this.logs = logs;
  }

  @Override
  public CompletableFuture<Environment> start(FunctionConfig function, boolean provisioned) {
    return EnvironmentStart.async(() -> startNow(function, provisioned), executor);
  }

  private Environment startNow(FunctionConfig function, boolean provisioned)
      throws IOException, InterruptedException {
    String id = UUID.randomUUID().toString().substring(0, 8);
    InetAddress address = addresses.allocate(AgentProtocol.INVOKE_PORT, AgentProtocol.RUNTIME_API_PORT);
    Path tmp = Files.createDirectories(workDir.resolve("tmp").resolve(id));
    ProcessBuilder builder = new ProcessBuilder(command()).redirectErrorStream(true);
    builder.environment().clear();
    builder.environment().putAll(agentEnvironment(function, taskRoot(function), address, tmp, provisioned));
    Process process = builder.start();
    String prefix = "[" + function.key() + " " + id + "] ";
    // a platform thread: a blocking pipe read would pin a virtual thread's carrier
    Thread.ofPlatform().daemon().name("logs-" + id).start(() -> copyLogs(process, prefix));
    CompletableFuture<Void> terminated = process.onExit().thenRun(() -> deleteQuietly(tmp));
    Environment environment = new Environment(id, function,
        URI.create("http://" + address.getHostAddress() + ":" + AgentProtocol.INVOKE_PORT), terminated);
    processes.put(environment, process);
    terminated.thenRun(() -> processes.remove(environment));
    long deadline = System.nanoTime() + function.initTimeout().plus(START_ALLOWANCE).toNanos();
    try {
      agentClient.awaitInitEnded(environment.address(), deadline, process::isAlive);
    } catch (IOException | InterruptedException e) {
      kill(process);
      throw e;
    }
    return environment;
  }

  private List<String> command() {
    List<String> command = new ArrayList<>();
    if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
      command.add("/usr/bin/setsid");
    }
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(AGENT_JVM_OPTIONS);
    command.add("-jar");
    command.add(agent.jar().toString());
    return command;
  }

  private Map<String, String> agentEnvironment(FunctionConfig function, Path taskRoot,
      InetAddress address, Path tmp, boolean provisioned) {
    Map<String, String> env = new LinkedHashMap<>();
    // the host's PATH, so bootstrap scripts find the host's tools (a Pod has its image's)
    env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin"));
    env.put("TMPDIR", tmp.toString());
    env.putAll(AgentEnvironment.of(function, region, taskRoot.toString(), provisioned));
    String host = address.getHostAddress();
    env.put("KLAMBDA_RUNTIME_API", host + ":" + AgentProtocol.RUNTIME_API_PORT);
    env.put("KLAMBDA_INVOKE_ADDRESS", host + ":" + AgentProtocol.INVOKE_PORT);
    return env;
  }

  /** The function's code on disk, written on its first environment and shared by all of them. */
  private Path taskRoot(FunctionConfig function) {
    return taskRoots.computeIfAbsent(function.key(), key -> {
      try {
        return TaskRoot.write(((CodeSource.Inline) function.code()).files(),
            workDir.resolve("functions").resolve(function.namespace()).resolve(function.name()));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write the code of " + key, e);
      }
    });
  }

  private void copyLogs(Process process, String prefix) {
    try (BufferedReader lines = new BufferedReader(
        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = lines.readLine()) != null) {
        logs.println(prefix + line);
      }
    } catch (IOException gone) {
      // the agent exited
    }
  }

  @Override
  public CompletableFuture<Void> stop(Environment environment) {
    Process process = processes.get(environment);
    if (process == null) {
      return CompletableFuture.completedFuture(null);
    }
    process.toHandle().destroy(); // SIGTERM; Process.destroy would also close its output
    Duration grace = environment.function().timeout().plus(environment.function().initTimeout())
        .plusSeconds(5);
    return process.onExit()
        .orTimeout(grace.toMillis(), TimeUnit.MILLISECONDS)
        .exceptionally(notInTime -> {
          kill(process);
          return process;
        })
        .thenCompose(p -> environment.terminated());
  }

  /** SIGKILL to the agent and everything it started (its runtime and extensions). */
  private static void kill(Process process) {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
  }

  @Override
  public void close() {
    CompletableFuture.allOf(processes.keySet().stream().map(this::stop)
        .toArray(CompletableFuture[]::new)).join();
  }

  private static void deleteQuietly(Path dir) {
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // a leftover temp folder is harmless
    }
  }
}
