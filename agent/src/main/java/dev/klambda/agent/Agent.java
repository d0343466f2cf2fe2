package dev.klambda.agent;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import sun.misc.Signal;

/**
 * The agent of one execution environment: serves the Runtime API to the function's runtime and the
 * invoke endpoint to the gateway, runs Init right away (or, a warm-pool member, once claimed), and
 * shuts down cleanly on SIGTERM.
 */
public final class Agent {
  private Agent() {}

  public static void main(String[] args) throws Exception {
    // Without this the JDK's server delays small responses (Nagle), costing ~40 ms per round trip.
    System.setProperty("sun.net.httpserver.nodelay", "true");
    Map<String, String> env = System.getenv();
    Path home = agentHome();
    // UTF-8 whatever the locale: a Pod or local process often has none, and logs are UTF-8
    LogSink logs =
        new LogSink(
            new PrintStream(
                new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8));
    InetSocketAddress launcherAddress;
    InetSocketAddress invokeAddress;
    AgentConfig config; // null for a warm-pool member: its function comes with the claim
    try {
      launcherAddress = AgentConfig.launcherAddress(env);
      invokeAddress = AgentConfig.invokeAddress(env);
      config = env.containsKey(AgentConfig.POOL) ? null : AgentConfig.fromEnvironment(env, home);
    } catch (IllegalArgumentException e) {
      System.err.println("klambda-agent: " + e.getMessage());
      System.exit(2);
      return;
    }
    // In a Pod the function's container goes first when the Pod is deleted (the agent is its
    // sidecar): its launcher passes the SIGTERM on, and the agent shuts down as on its own.
    ProcessStarter processes =
        launcherAddress != null
            ? LauncherChannel.listen(
                launcherAddress,
                logs,
                () -> Thread.ofPlatform().name("terminate").start(() -> System.exit(0)))
            : new LocalProcesses(logs);
    EnvironmentSlot slot = new EnvironmentSlot(env, home, logs, processes);
    String token = env.get(AgentProtocol.INVOKE_TOKEN_VARIABLE);
    if (token == null || token.isBlank()) {
      System.err.println(
          "klambda-agent: no "
              + AgentProtocol.INVOKE_TOKEN_VARIABLE
              + ": anyone who reaches the invoke port may give this environment work");
      token = null;
    }
    InvokeServer invokeServer = new InvokeServer(invokeAddress, slot, token);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  slot.shutdown();
                  processes.close();
                  invokeServer.stop();
                  stopped.countDown();
                },
                "shutdown"));
    // SIGTERM is how Kubernetes and `docker stop` end an environment: after the clean shutdown of
    // the hook above, exit 0 (container "Completed"), not the JVM's 128 + 15 (read as "Error")
    Signal.handle(new Signal("TERM"), signal -> System.exit(0));
    // An environment never outlives what started it: if local mode's process dies without
    // stopping it, shut down as on SIGTERM. (In a Pod the parent is PID 1 and lives as long.)
    ProcessHandle.current()
        .parent()
        .ifPresent(parent -> parent.onExit().thenRun(() -> System.exit(0)));
    if (config != null) {
      slot.open(config);
    }
    invokeServer.start();
    stopped.await();
  }

  /** The folder of the agent's jar: {@code runtimes/} lives beside it. */
  private static Path agentHome() throws IOException {
    try {
      Path location =
          Path.of(Agent.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      return location.getParent();
    } catch (URISyntaxException e) {
      throw new IOException(e);
    }
  }
}
