package dev.klambda.environments;

import dev.klambda.agent.AgentProtocol;
import dev.klambda.agent.BillingRule;
import dev.klambda.function.CodeSource;
import dev.klambda.function.FunctionConfig;
import dev.klambda.pool.PoolMember;
import dev.klambda.pool.PoolMembers;
import dev.klambda.pool.PoolSpec;
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
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Local mode's environments: one agent process per environment, on its own loopback address, with
 * the function's code written once into a task root under the work folder. The agent runs in its
 * own session ({@code setsid}) so a Ctrl-C in the terminal reaches klambda only, and klambda shuts
 * environments down in order. Warm-pool members are such processes too, with a task root of their
 * own that the agent writes the claiming function's code into.
 */
public final class LocalProcessEnvironmentManager implements EnvironmentManager, PoolMembers {
  private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();
  private static final List<String> AGENT_JVM_OPTIONS =
      List.of(
          "-XX:TieredStopAtLevel=1",
          "-XX:+UseSerialGC",
          "-Xshare:auto",
          "-Xss512k",
          "-XX:MaxRAM=256m",
          "-XX:-UsePerfData");
  private static final Duration START_ALLOWANCE = Duration.ofSeconds(10);

  private final AgentDistribution agent;
  private final Path workDir;
  private final String region;
  private final BillingRule billing;
  private final AgentClient agentClient;
  private final PrintStream logs;
  private final LoopbackAddresses addresses = new LoopbackAddresses();
  private final Executor executor = Executors.newVirtualThreadPerTaskExecutor();
  private final Map<String, Path> taskRoots = new ConcurrentHashMap<>();
  private final Map<Environment, Process> processes = new ConcurrentHashMap<>();

  /** Unclaimed warm-pool members, by id. */
  private final Map<String, Launched> members = new ConcurrentHashMap<>();

  /**
   * @param billing how the agents' REPORT lines bill, as the meters do
   */
  public LocalProcessEnvironmentManager(
      AgentDistribution agent,
      Path workDir,
      String region,
      BillingRule billing,
      AgentClient agentClient,
      PrintStream logs) {
    this.agent = agent;
    this.workDir = workDir;
    this.region = region;
    this.billing = billing;
    this.agentClient = agentClient;
    this.logs = logs;
  }

  @Override
  public CompletableFuture<Environment> start(FunctionConfig function, boolean provisioned) {
    return EnvironmentStart.async(() -> startNow(function, provisioned), executor);
  }

  private Environment startNow(FunctionConfig function, boolean provisioned)
      throws IOException, InterruptedException {
    Launched launched =
        launch(
            newId(),
            function.key(),
            AgentEnvironment.of(
                function, region, taskRoot(function).toString(), provisioned, billing));
    Environment environment =
        new Environment(
            launched.id(),
            function,
            function.generation(),
            launched.address(),
            launched.terminated(),
            launched.invokeToken());
    processes.put(environment, launched.process());
    launched.terminated().thenRun(() -> processes.remove(environment));
    await(launched, function.initTimeout(), agentClient::awaitInitEnded);
    return environment;
  }

  @Override
  public CompletableFuture<PoolMember> startMember(PoolSpec pool) {
    return EnvironmentStart.async(() -> startMemberNow(pool), executor);
  }

  private PoolMember startMemberNow(PoolSpec pool) throws IOException, InterruptedException {
    String id = newId();
    // the member's own task root: the claiming function's code is written there by the agent
    Path taskRoot = Files.createDirectories(workDir.resolve("pool").resolve(id));
    Launched launched =
        launch(id, "pool " + pool, AgentEnvironment.poolMember(pool, taskRoot.toString()));
    launched.terminated().thenRun(() -> deleteQuietly(taskRoot));
    PoolMember member =
        new PoolMember(id, pool, launched.address(), launched.terminated(), launched.invokeToken());
    members.put(id, launched);
    launched.terminated().thenRun(() -> members.remove(id));
    await(launched, Duration.ZERO, agentClient::awaitClaimable);
    return member;
  }

  @Override
  public Environment claim(PoolMember member, FunctionConfig function, boolean provisioned)
      throws IOException, InterruptedException {
    Launched launched = members.remove(member.id());
    if (launched == null) {
      throw new IOException("pool member " + member + " is gone");
    }
    Environment environment = member.claimedBy(function);
    processes.put(environment, launched.process());
    member.terminated().thenRun(() -> processes.remove(environment));
    launched.logPrefix().set(prefix(function.key(), member.id()));
    try {
      agentClient.claim(
          member.address(),
          member.invokeToken(),
          AgentEnvironment.claim(
              function,
              region,
              provisioned,
              CodeFiles.inline(((CodeSource.Inline) function.code()).files()),
              billing));
    } catch (IOException e) {
      kill(launched.process());
      throw e;
    }
    await(launched, function.initTimeout(), agentClient::awaitInitEnded);
    return environment;
  }

  @Override
  public void discard(PoolMember member) {
    Launched launched = members.remove(member.id());
    if (launched != null) {
      launched.process().toHandle().destroy();
    }
  }

  /** An agent process on a loopback address of its own, its output copied to the log. */
  private record Launched(
      String id,
      Process process,
      URI address,
      CompletableFuture<Void> terminated,
      AtomicReference<String> logPrefix,
      String invokeToken) {}

  /** What a wait for the agent does: Init ended, or claimable. */
  private interface AgentWait {
    void await(URI address, long deadlineNanos, java.util.function.BooleanSupplier alive)
        throws IOException, InterruptedException;
  }

  private Launched launch(String id, String name, Map<String, String> variables)
      throws IOException {
    InetAddress address =
        addresses.allocate(AgentProtocol.INVOKE_PORT, AgentProtocol.RUNTIME_API_PORT);
    Path tmp = Files.createDirectories(workDir.resolve("tmp").resolve(id));
    ProcessBuilder builder = new ProcessBuilder(command()).redirectErrorStream(true);
    builder.environment().clear();
    // the host's PATH, so bootstrap scripts find the host's tools (a Pod has its image's)
    builder
        .environment()
        .put("PATH", System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin"));
    builder.environment().put("TMPDIR", tmp.toString());
    builder.environment().putAll(variables);
    String host = address.getHostAddress();
    builder.environment().put("KLAMBDA_RUNTIME_API", host + ":" + AgentProtocol.RUNTIME_API_PORT);
    builder.environment().put("KLAMBDA_INVOKE_ADDRESS", host + ":" + AgentProtocol.INVOKE_PORT);
    // only this process gives the agent work: other local users' processes reach the loopback too
    byte[] secret = new byte[24];
    RANDOM.nextBytes(secret);
    String token = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    builder.environment().put(AgentProtocol.INVOKE_TOKEN_VARIABLE, token);
    Process process = builder.start();
    AtomicReference<String> prefix = new AtomicReference<>(prefix(name, id));
    // a platform thread: a blocking pipe read would pin a virtual thread's carrier
    Thread.ofPlatform().daemon().name("logs-" + id).start(() -> copyLogs(process, prefix));
    CompletableFuture<Void> terminated = process.onExit().thenRun(() -> deleteQuietly(tmp));
    return new Launched(
        id,
        process,
        URI.create("http://" + host + ":" + AgentProtocol.INVOKE_PORT),
        terminated,
        prefix,
        token);
  }

  /** Waits for the agent, within {@code limit} and the start allowance; kills it on failure. */
  private static void await(Launched launched, Duration limit, AgentWait wait)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + limit.plus(START_ALLOWANCE).toNanos();
    try {
      wait.await(launched.address(), deadline, launched.process()::isAlive);
    } catch (IOException | InterruptedException e) {
      kill(launched.process());
      throw e;
    }
  }

  private static String newId() {
    return UUID.randomUUID().toString().substring(0, 8);
  }

  private static String prefix(String name, String id) {
    return "[" + name + " " + id + "] ";
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

  /** The function's code on disk, written on its first environment and shared by all of them. */
  private Path taskRoot(FunctionConfig function) {
    return taskRoots.computeIfAbsent(
        function.key(),
        key -> {
          try {
            return TaskRoot.write(
                ((CodeSource.Inline) function.code()).files(),
                workDir
                    .resolve("functions")
                    .resolve(function.namespace())
                    .resolve(function.name()));
          } catch (IOException e) {
            throw new UncheckedIOException("cannot write the code of " + key, e);
          }
        });
  }

  /**
   * The agent's lines, split at {@code \n} alone: a log record's own line breaks are {@code \r}.
   */
  private void copyLogs(Process process, AtomicReference<String> prefix) {
    try (BufferedReader in =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      StringBuilder line = new StringBuilder();
      for (int c; (c = in.read()) != -1; ) {
        if (c == '\n') {
          print(prefix.get(), line);
          line.setLength(0);
        } else {
          line.append((char) c);
        }
      }
      if (!line.isEmpty()) {
        print(prefix.get(), line);
      }
    } catch (IOException gone) {
      // the agent exited
    }
  }

  /**
   * One record: a terminal would go back over the line at each {@code \r}, so its lines after the
   * first are shown indented under the prefix, as one block.
   */
  private void print(String prefix, CharSequence record) {
    logs.println(prefix + record.toString().replace("\r", "\n" + " ".repeat(prefix.length())));
  }

  @Override
  public CompletableFuture<Void> stop(Environment environment) {
    Process process = processes.get(environment);
    if (process == null) {
      return CompletableFuture.completedFuture(null);
    }
    process.toHandle().destroy(); // SIGTERM; Process.destroy would also close its output
    Duration grace =
        environment.function().timeout().plus(environment.function().initTimeout()).plusSeconds(5);
    return process
        .onExit()
        .orTimeout(grace.toMillis(), TimeUnit.MILLISECONDS)
        .exceptionally(
            notInTime -> {
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
    List<CompletableFuture<?>> stopped = new ArrayList<>();
    for (Launched member : List.copyOf(members.values())) {
      member.process().toHandle().destroy();
      stopped.add(member.terminated());
    }
    processes.keySet().stream().map(this::stop).forEach(stopped::add);
    CompletableFuture.allOf(stopped.toArray(CompletableFuture[]::new)).join();
  }

  private static void deleteQuietly(Path dir) {
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // a leftover temp folder is harmless
    }
  }
}
