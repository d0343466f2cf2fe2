package dev.klambda.kubelet;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Plays one Pod: mounts its code, runs its two containers (the agent, a native sidecar, and the
 * function's launcher, which starts the runtime for the agent), keeps the agent's output and writes
 * its status, until the agent exits or the Pod is deleted or evicted. Readiness probes are not
 * played (klambda's Pods have none): a running Pod is Ready, as the kubelet makes one without. As a
 * kubelet does, it ends the sidecar once the function's container has ended, and stops the
 * function's container first when the Pod is deleted.
 */
final class PodPlayer {
  private static final Logger LOG = LoggerFactory.getLogger(PodPlayer.class);
  private static final String AGENT_CONTAINER = "agent";
  private static final String FUNCTION_CONTAINER = "function";
  private static final String CODE_VOLUME = "code";
  private static final long DEFAULT_GRACE_SECONDS = 30;

  /** What the Pods of one fixture share. */
  record Node(
      KubernetesClient client,
      Path workDir,
      Path agentJar,
      Executor executor,
      BooleanSupplier closing) {}

  private final Node node;
  private final Pod pod;
  private final String namespace;
  private final String name;
  private final long sequence;
  private final long graceSeconds;
  private final Path podDir;
  private final Path logFile;

  /** The agent's container, whose status is written; null when the Pod has none of that name. */
  private final Container container;

  /** The function's container, run by its launcher. */
  private final Container functionContainer;

  private final List<String> logs = Collections.synchronizedList(new ArrayList<>());

  /** Completes once the agent has exited and the status says so (or it never started). */
  private final CompletableFuture<Void> finished = new CompletableFuture<>();

  /**
   * Guards the lifecycle and the status model: a deletion either sees the agent or keeps it from
   * starting.
   */
  private final Object lock = new Object();

  private final PodStatusModel status;
  private final StatusWriter statusWriter;
  private volatile Process process;
  private volatile Process launcher;
  private volatile InetAddress address;
  private volatile boolean deleted;
  private volatile boolean evicted;

  /** {@code sequence} orders the Pods of one name: the latest is the one tests mean. */
  PodPlayer(Pod pod, long sequence, Node node) {
    this.node = node;
    this.pod = pod;
    this.namespace = pod.getMetadata().getNamespace();
    this.name = pod.getMetadata().getName();
    this.sequence = sequence;
    Long grace = pod.getSpec() == null ? null : pod.getSpec().getTerminationGracePeriodSeconds();
    this.graceSeconds = grace == null ? DEFAULT_GRACE_SECONDS : Math.max(0, grace);
    String dirName = namespace + "_" + name + "_" + sequence;
    this.podDir = node.workDir().resolve("pods").resolve(dirName);
    this.logFile = node.workDir().resolve("logs").resolve(dirName + ".log");
    this.container = container(pod, AGENT_CONTAINER);
    this.functionContainer = container(pod, FUNCTION_CONTAINER);
    this.status = new PodStatusModel(pod, container);
    this.statusWriter = new StatusWriter(node.client(), pod);
  }

  String namespace() {
    return namespace;
  }

  String name() {
    return name;
  }

  long sequence() {
    return sequence;
  }

  long graceSeconds() {
    return graceSeconds;
  }

  Path logFile() {
    return logFile;
  }

  /** The launcher of the function's container, once started. */
  Process launcher() {
    return launcher;
  }

  /** The agent, once started. */
  Process process() {
    return process;
  }

  List<String> logLines() {
    synchronized (logs) {
      return List.copyOf(logs);
    }
  }

  /** Mounts the code and starts both containers; what cannot be played fails the Pod. */
  void start() {
    try {
      synchronized (lock) {
        status.scheduled();
      }
      writeStatus();
      if (container == null || functionContainer == null) {
        fail(
            "ContainerNotPlayable",
            "the kubelet fixture plays containers named '"
                + AGENT_CONTAINER
                + "' (a native sidecar) and '"
                + FUNCTION_CONTAINER
                + "', the pod lacks one");
        return;
      }
      Volume code = codeVolume();
      if (code == null) {
        fail(
            "CodeNotPlayable",
            "the kubelet fixture needs the code in a ConfigMap or emptyDir volume named '"
                + CODE_VOLUME
                + "': code in the image ("
                + container.getImage()
                + ") cannot be played");
        return;
      }
      Path taskRoot = podDir.resolve("task");
      Path tmp = podDir.resolve("tmp");
      if (code.getConfigMap() != null) {
        ConfigMap configMap =
            ConfigMapVolume.await(
                node.client(), namespace, code.getConfigMap(), key(), this::givenUp);
        if (configMap == null) {
          finished.complete(null);
          deleteQuietly(podDir);
          return;
        }
        ConfigMapVolume.write(code.getConfigMap(), configMap, taskRoot);
      } else {
        Files.createDirectories(taskRoot); // a warm-pool member's: its agent writes the code
      }
      Files.createDirectories(tmp);
      Files.createDirectories(logFile.getParent());

      InetAddress ip =
          PodIpPool.allocate(
              AgentCommand.INVOKE_PORT, AgentCommand.RUNTIME_API_PORT, AgentCommand.LAUNCHER_PORT);
      address = ip;
      synchronized (lock) {
        status.sandboxReady();
      }
      ProcessBuilder builder = AgentCommand.of(node.agentJar(), pod, container, ip, taskRoot, tmp);
      Process agent;
      Thread logCopier;
      synchronized (lock) {
        if (givenUp()) {
          release();
          deleteQuietly(podDir);
          finished.complete(null);
          return;
        }
        agent = builder.start();
        process = agent;
        status.running();
        // no readiness probe (klambda's Pods have none): Ready once running, as the kubelet does
        status.readiness(true);
        logCopier =
            Thread.ofPlatform().daemon().name("kubelet-logs-" + name).start(() -> copyLogs(agent));
        // the sidecar has started: the kubelet goes on with the function's container
        Process functionProcess =
            AgentCommand.launcher(node.agentJar(), pod, functionContainer, ip, taskRoot, tmp)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(launcherLog().toFile()))
                .start();
        launcher = functionProcess;
        functionProcess
            .onExit()
            .thenRunAsync(() -> functionEnded(functionProcess, agent), node.executor());
      }
      LOG.info(
          "kubelet fixture: pod {} runs agent pid {} on {}",
          key(),
          agent.pid(),
          ip.getHostAddress());
      agent.onExit().thenRunAsync(() -> exited(agent, logCopier), node.executor());
      writeStatus();
    } catch (Exception e) {
      LOG.error("kubelet fixture: cannot start pod {}", key(), e);
      fail("FixtureError", "the kubelet fixture could not start the pod: " + e);
    }
  }

  /** The Pod is deleted (or the fixture closes): SIGTERM, SIGKILL after the grace period. */
  void terminate() {
    String why = node.closing().getAsBoolean() ? "the fixture closes" : "pod deleted";
    Process agent;
    synchronized (lock) {
      deleted = true;
      agent = process;
    }
    if (agent == null) {
      if (address == null) {
        finished.complete(null);
      }
      return;
    }
    Process function = launcher;
    if (function != null && function.isAlive()) {
      // the function's container first: its launcher passes the SIGTERM on to the agent, which
      // runs Shutdown; the sidecar is stopped after it
      LOG.info(
          "kubelet fixture: {}: {}, SIGTERM to the launcher pid {}", key(), why, function.pid());
      function.toHandle().destroy();
      try {
        function.onExit().get(graceSeconds, TimeUnit.SECONDS);
      } catch (Exception notInTime) {
        LOG.warn("kubelet fixture: the function container of {} outlived its grace period", key());
      }
    }
    if (agent.isAlive()) {
      LOG.info(
          "kubelet fixture: {}: {}, SIGTERM to pid {} (grace {} s)",
          key(),
          why,
          agent.pid(),
          graceSeconds);
      // not Process.destroy(): it would close the output the agent's last lines arrive on
      agent.toHandle().destroy();
      try {
        agent.onExit().get(graceSeconds, TimeUnit.SECONDS);
      } catch (TimeoutException notInTime) {
        LOG.warn("kubelet fixture: agent of {} outlived its grace period, SIGKILL", key());
        killTree();
      } catch (Exception e) {
        killTree();
      }
    }
    awaitFinished("pod");
    deleteQuietly(podDir); // emptyDir and volumes go with the pod
  }

  /** Node-pressure eviction: SIGKILL, phase Failed, reason Evicted; the Pod is not deleted. */
  void evict() {
    synchronized (lock) {
      evicted = true;
      status.evicted();
    }
    if (process != null) {
      killTree();
      awaitFinished("evicted pod");
    }
    writeStatus();
  }

  /**
   * SIGKILL to both containers: the agent and its session first, then the launcher and what it
   * started. In that order because a launcher that ends first makes this fixture stop the agent
   * gently (its container ended), racing the SIGKILL; what the launcher started may have left its
   * tree by then, so whatever still works in the Pod's folder goes too.
   */
  void killTree() {
    Process agent = process;
    if (agent != null) {
      AgentSession.kill(agent);
    }
    Process function = launcher;
    if (function != null) {
      AgentSession.kill(function);
    }
    AgentSession.killWorkingIn(podDir, null, key());
  }

  /**
   * The function's container ended (its launcher exited: the agent closed it, or it was killed):
   * what it started goes with it, and the sidecar is stopped, as the kubelet does once a Pod's
   * regular containers have ended.
   */
  private void functionEnded(Process function, Process agent) {
    AgentSession.killLeftovers(function, key());
    AgentSession.killWorkingIn(podDir, agent, key());
    if (agent.isAlive()) {
      LOG.info(
          "kubelet fixture: pod {}: the function's container ended, stopping the agent", key());
      agent.toHandle().destroy();
    }
  }

  private Path launcherLog() {
    return logFile.resolveSibling(
        logFile.getFileName().toString().replace(".log", ".function.log"));
  }

  private static Container container(Pod pod, String name) {
    if (pod.getSpec() == null) {
      return null;
    }
    return java.util.stream.Stream.concat(
            pod.getSpec().getInitContainers() == null
                ? java.util.stream.Stream.<Container>empty()
                : pod.getSpec().getInitContainers().stream(),
            pod.getSpec().getContainers() == null
                ? java.util.stream.Stream.<Container>empty()
                : pod.getSpec().getContainers().stream())
        .filter(c -> name.equals(c.getName()))
        .findFirst()
        .orElse(null);
  }

  private Volume codeVolume() {
    if (pod.getSpec() == null || pod.getSpec().getVolumes() == null) {
      return null;
    }
    return pod.getSpec().getVolumes().stream()
        .filter(
            v ->
                CODE_VOLUME.equals(v.getName())
                    && (v.getConfigMap() != null || v.getEmptyDir() != null))
        .findFirst()
        .orElse(null);
  }

  private void copyLogs(Process agent) {
    try (BufferedReader lines =
            new BufferedReader(
                new InputStreamReader(agent.getInputStream(), StandardCharsets.UTF_8));
        BufferedWriter file = Files.newBufferedWriter(logFile, StandardCharsets.UTF_8)) {
      String line;
      while ((line = lines.readLine()) != null) {
        logs.add(line);
        file.write(line);
        file.newLine();
        file.flush();
      }
    } catch (IOException gone) {
      LOG.debug("kubelet fixture: log copy of {} ended", key(), gone);
    }
  }

  /** The agent exited: by itself, killed, evicted or stopped after deletion. */
  private void exited(Process agent, Thread logCopier) {
    try {
      AgentSession.killLeftovers(agent, key());
      logCopier.join(Duration.ofSeconds(5));
      int exitCode = agent.exitValue();
      LOG.info("kubelet fixture: agent of pod {} exited with {}", key(), exitCode);
      synchronized (lock) {
        status.terminated(agent, exitCode, evicted);
      }
      writeStatus();
    } catch (Exception e) {
      LOG.error("kubelet fixture: after the agent of {} exited", key(), e);
    } finally {
      release();
      if (deleted || node.closing().getAsBoolean()) {
        deleteQuietly(podDir);
      }
      finished.complete(null);
    }
  }

  private void fail(String reason, String message) {
    LOG.warn("kubelet fixture: pod {} failed: {}", key(), message);
    synchronized (lock) {
      status.failed(reason, message);
    }
    writeStatus();
    release();
    finished.complete(null);
  }

  /** Nothing once deleted or closing: the Pod is gone or its API server about to be. */
  private void writeStatus() {
    statusWriter.write(
        () -> {
          synchronized (lock) {
            return deleted || node.closing().getAsBoolean()
                ? null
                : status.render(address, process);
          }
        });
  }

  /** The Pod IP goes back to the pool once no agent serves on it. */
  private void release() {
    InetAddress ip = address;
    Process agent = process;
    if (ip != null && (agent == null || !agent.isAlive())) {
      PodIpPool.release(ip);
    }
  }

  private boolean givenUp() {
    return deleted || evicted || node.closing().getAsBoolean();
  }

  private void awaitFinished(String what) {
    try {
      finished.get(15, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.warn("kubelet fixture: {} {} did not finish", what, key(), e);
    }
  }

  private String key() {
    return namespace + "/" + name;
  }

  private static void deleteQuietly(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | UncheckedIOException ignored) {
      // a leftover folder in a test's work folder is harmless
    }
  }
}
