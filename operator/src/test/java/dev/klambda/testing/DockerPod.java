package dev.klambda.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.klambda.agent.Docker;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a Pod (a fabric8 {@link Pod}, e.g. from EnvironmentPodTemplate) on the local Docker engine
 * the way the kubelet would run it, with the {@code docker} CLI only, so every step can be repeated
 * by hand. Generic over the Pod's spec, not written for one layout:
 *
 * <ul>
 *   <li>one {@code docker run -d} per container, in the kubelet's order ({@link PodLayout}): native
 *       sidecars first, each holding the next back until its startup probe succeeds ({@link
 *       StartupProbeGate}), then the containers;
 *   <li>the first container owns the Pod's network namespace, with a fixed address on a {@link
 *       DockerNetwork} that the host reaches directly, and its IPC namespace; the others join them
 *       ({@code --network/--ipc container:<first>}), and its process namespace too with {@code
 *       shareProcessNamespace: true};
 *   <li>per container ({@link ContainerRunArgs}): image, command/args, env ({@link PodEnv}), the
 *       security context over the Pod's, resources from limits and requests ({@link PodResources}),
 *       volume mounts ({@link PodVolumes}).
 * </ul>
 *
 * {@link #create} prepares what the kubelet prepares before a container runs (volumes, code files),
 * so a measurement of {@link #start} starts at the first {@code docker run}. Everything made is
 * labelled {@value #LABEL}={@code <pod name>} and removed on {@link #stop}, on {@link #close} after
 * a failure, and by a shutdown hook if the JVM ends first. What it cannot play faithfully (init
 * containers that run to completion, lifecycle hooks, other volume types, Secrets in env) it
 * refuses.
 */
public final class DockerPod implements AutoCloseable {
  public static final String LABEL = "dev.klambda.dockerpod";
  private static final Logger LOG = LoggerFactory.getLogger(DockerPod.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Generous: a {@code docker run} normally returns in well under a second. */
  private static final Duration RUN_TIMEOUT = Duration.ofMinutes(2);

  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);
  private static final long DEFAULT_GRACE_SECONDS = 30;

  static {
    if (PodResources.OOM_SCORE_ADJ_FLOOR == 0) {
      LOG.warn(
          "no CAP_SYS_RESOURCE here: the containers' OOM score adjustments are raised to 0 at least "
              + "(a Guaranteed Pod's would be {})",
          PodResources.GUARANTEED_OOM_SCORE_ADJ);
    }
  }

  /** One container as docker saw it ({@code id}: the full id, e.g. to find its cgroup). */
  public record ContainerState(
      String id,
      String name,
      Instant created,
      Instant started,
      Instant finished,
      boolean running,
      int exitCode,
      boolean oomKilled) {}

  /** One line of a container's output, stamped by docker on receipt. */
  public record LogLine(Instant time, String container, String text) {
    @Override
    public String toString() {
      return time + " " + container + " | " + text;
    }
  }

  private final PodSandbox sandbox;
  private final DockerNetwork network;
  private final PodVolumes volumes;
  private final List<Container> layout;

  /** The {@code docker run} arguments by container, computed up front: start() only runs them. */
  private final Map<Container, List<String>> runs = new LinkedHashMap<>();

  private final List<Container> started = new ArrayList<>();
  private final Thread cleanupAtExit = new Thread(this::removeEverything, "docker-pod-cleanup");
  private boolean removed;

  private DockerPod(PodSandbox sandbox, DockerNetwork network, PodVolumes volumes) {
    this.sandbox = sandbox;
    this.network = network;
    this.volumes = volumes;
    this.layout = PodLayout.of(sandbox.pod());
  }

  /**
   * Names the Pod, leases its address and sets up its volumes; no container runs yet.
   *
   * @param configMaps the ConfigMaps its configMap volumes name, by name (e.g. CodeConfigMap.build)
   * @param workDir where the Pod's volume folders go (a folder each, removed with the Pod)
   */
  public static DockerPod create(
      Pod pod, Map<String, ConfigMap> configMaps, DockerNetwork network, Path workDir)
      throws IOException {
    PodLayout.check(pod);
    String ip = network.lease();
    PodSandbox sandbox = PodSandbox.of(pod, ip, network.name());
    PodVolumes volumes;
    try {
      volumes =
          PodVolumes.create(sandbox, workDir.resolve(sandbox.name()), label(sandbox), configMaps);
    } catch (IOException | RuntimeException e) {
      network.release(ip);
      throw e;
    }
    DockerPod dockerPod = new DockerPod(sandbox, network, volumes);
    Runtime.getRuntime().addShutdownHook(dockerPod.cleanupAtExit);
    try {
      for (Container container : dockerPod.layout) {
        dockerPod.runs.put(
            container,
            ContainerRunArgs.of(
                sandbox, container, dockerPod.labels(container), volumes::mountOptions));
      }
    } catch (RuntimeException e) {
      dockerPod.close();
      throw e;
    }
    return dockerPod;
  }

  /**
   * Runs the containers in order; returns once the last one runs (not once anything in it is
   * ready). Throws when a {@code docker run} fails or a sidecar's startup probe gives up; the
   * containers started so far keep running until {@link #close}.
   */
  public void start() throws InterruptedException {
    long podStart = System.nanoTime();
    for (Map.Entry<Container, List<String>> run : runs.entrySet()) {
      Container container = run.getKey();
      started.add(container); // before the run: a run that times out may still have created it
      List<String> command = new ArrayList<>(List.of("docker"));
      command.addAll(run.getValue());
      Docker.Result result = Docker.run(RUN_TIMEOUT, null, command.toArray(String[]::new));
      if (result.exitCode() != 0) {
        throw new IllegalStateException(
            "docker run of "
                + sandbox.containerName(container)
                + " exited with "
                + result.exitCode()
                + ": "
                + result.stderr().strip()
                + "\n"
                + String.join(" ", command));
      }
      if (!result.stderr().isBlank()) { // e.g. a resource limit the kernel does not support
        LOG.warn("docker run of {}: {}", sandbox.containerName(container), result.stderr().strip());
      }
      if (PodLayout.isSidecar(container)) {
        StartupProbeGate.await(sandbox, container, podStart, System.nanoTime());
      }
    }
    LOG.debug(
        "pod {} started at {} in {} ms",
        sandbox.name(),
        sandbox.ip(),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - podStart));
  }

  public String name() {
    return sandbox.name();
  }

  /**
   * An in-place resize of a running container's CPU limit, as the kubelet applies one: the cgroup's
   * CFS quota changes ({@code docker update --cpus}), nothing restarts.
   */
  public void resizeCpu(String containerName, long millis) throws InterruptedException {
    Container container =
        started.stream()
            .filter(c -> c.getName().equals(containerName))
            .findFirst()
            .orElseThrow(
                () -> new IllegalArgumentException("no started container " + containerName));
    Docker.Result result =
        Docker.run(
            RUN_TIMEOUT,
            null,
            "docker",
            "update",
            "--cpus",
            String.format(java.util.Locale.ROOT, "%.3f", millis / 1000.0),
            sandbox.containerName(container));
    if (result.exitCode() != 0) {
      throw new IllegalStateException(
          "docker update of "
              + sandbox.containerName(container)
              + " exited with "
              + result.exitCode()
              + ": "
              + result.stderr().strip());
    }
  }

  /** The Pod's IP: the address of every container's ports, from the host too. */
  public String ip() {
    return sandbox.ip();
  }

  /** The {@code docker run} command lines, for the record. */
  public List<String> commandLines() {
    return runs.values().stream().map(args -> "docker " + String.join(" ", args)).toList();
  }

  /** Whether every container started so far still runs. */
  public boolean running() {
    return !started.isEmpty() && states().stream().allMatch(ContainerState::running);
  }

  /** The started containers, in start order, as {@code docker inspect} has them. */
  public List<ContainerState> states() {
    if (started.isEmpty()) {
      return List.of();
    }
    List<String> command = new ArrayList<>(List.of("docker", "inspect"));
    started.forEach(c -> command.add(sandbox.containerName(c)));
    Docker.Result inspected = Docker.run(COMMAND_TIMEOUT, null, command.toArray(String[]::new));
    List<ContainerState> states = new ArrayList<>();
    try {
      for (JsonNode container : JSON.readTree(inspected.stdout())) {
        JsonNode state = container.path("State");
        states.add(
            new ContainerState(
                container.path("Id").asText(),
                container.path("Name").asText().replaceFirst("^/", ""),
                instant(container.path("Created").asText()),
                instant(state.path("StartedAt").asText()),
                instant(state.path("FinishedAt").asText()),
                state.path("Running").asBoolean(),
                state.path("ExitCode").asInt(),
                state.path("OOMKilled").asBoolean()));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("docker inspect: " + inspected.stderr(), e);
    }
    return states;
  }

  /** Every line the containers printed (stdout and stderr), in the order docker received them. */
  public List<LogLine> logLines() {
    List<LogLine> lines = new ArrayList<>();
    for (Container container : started) {
      Docker.Result logs =
          Docker.run(
              COMMAND_TIMEOUT,
              null,
              "docker",
              "logs",
              "--timestamps",
              sandbox.containerName(container));
      for (String output : List.of(logs.stdout(), logs.stderr())) {
        output
            .lines()
            .filter(l -> l.indexOf(' ') > 0)
            .forEach(
                line ->
                    lines.add(
                        new LogLine(
                            instant(line.substring(0, line.indexOf(' '))),
                            container.getName(),
                            line.substring(line.indexOf(' ') + 1))));
      }
    }
    lines.sort(Comparator.comparing(LogLine::time));
    return lines;
  }

  /** {@link #logLines()} as text, one line each. */
  public String logs() {
    StringBuilder text = new StringBuilder();
    logLines().forEach(line -> text.append(line).append('\n'));
    return text.toString();
  }

  /**
   * Deletes the Pod as the kubelet does: SIGTERM to the containers (together), then to the sidecars
   * in reverse order, each given what is left of the Pod's {@code terminationGracePeriodSeconds}
   * before SIGKILL ({@code docker stop -t}); then removes the containers, volumes and folders.
   * Returns how long the stopping took.
   */
  public Duration stop() {
    long begin = System.nanoTime();
    Long grace = sandbox.pod().getSpec().getTerminationGracePeriodSeconds();
    long deadline = begin + TimeUnit.SECONDS.toNanos(grace == null ? DEFAULT_GRACE_SECONDS : grace);
    try {
      List<String> containers =
          started.stream()
              .filter(c -> !PodLayout.isSidecar(c))
              .map(sandbox::containerName)
              .toList();
      stopTogether(containers, deadline);
      List<Container> sidecars = started.stream().filter(PodLayout::isSidecar).toList().reversed();
      for (Container sidecar : sidecars) {
        stopTogether(List.of(sandbox.containerName(sidecar)), deadline);
      }
      return Duration.ofNanos(System.nanoTime() - begin);
    } finally {
      removeEverything();
    }
  }

  /** Removes whatever is left, stopped or not; for a failed run (try-with-resources). */
  @Override
  public void close() {
    removeEverything();
  }

  private void stopTogether(List<String> containers, long deadline) {
    if (containers.isEmpty()) {
      return;
    }
    long seconds = Math.max(0, (deadline - System.nanoTime() + 999_999_999L) / 1_000_000_000L);
    List<String> command = new ArrayList<>(List.of("docker", "stop", "-t", Long.toString(seconds)));
    command.addAll(containers);
    Docker.Result stopped =
        Docker.run(
            Duration.ofSeconds(seconds).plus(COMMAND_TIMEOUT),
            null,
            command.toArray(String[]::new));
    if (stopped.exitCode() != 0) {
      LOG.warn("{}: {}", String.join(" ", command), stopped.stderr().strip());
    }
  }

  private synchronized void removeEverything() {
    if (removed) {
      return;
    }
    removed = true;
    try {
      // by label, not by name: also what a failed or timed-out docker run left behind
      String ids =
          Docker.run(
                  COMMAND_TIMEOUT,
                  null,
                  "docker",
                  "ps",
                  "-aq",
                  "--filter",
                  "label=" + label(sandbox))
              .stdout()
              .strip();
      if (!ids.isEmpty()) {
        List<String> rm = new ArrayList<>(List.of("docker", "rm", "-f", "-v"));
        rm.addAll(List.of(ids.split("\\s+")));
        Docker.Result result = Docker.run(COMMAND_TIMEOUT, null, rm.toArray(String[]::new));
        if (result.exitCode() != 0) {
          LOG.warn(
              "removing the containers of pod {}: {}", sandbox.name(), result.stderr().strip());
        }
      }
      volumes.close();
    } finally {
      network.release(sandbox.ip());
      if (Thread.currentThread() != cleanupAtExit) {
        try {
          Runtime.getRuntime().removeShutdownHook(cleanupAtExit);
        } catch (IllegalStateException shuttingDown) {
          // the hook runs anyway and finds it done
        }
      }
    }
  }

  private List<String> labels(Container container) {
    List<String> labels = new ArrayList<>();
    labels.add(label(sandbox));
    labels.add(LABEL + ".container=" + container.getName());
    if (sandbox.pod().getMetadata().getLabels() != null) {
      sandbox.pod().getMetadata().getLabels().forEach((k, v) -> labels.add(k + "=" + v));
    }
    return labels;
  }

  private static String label(PodSandbox sandbox) {
    return LABEL + "=" + sandbox.name();
  }

  /** Docker's times; its zero time ({@code 0001-01-01T00:00:00Z}) for "not yet" becomes null. */
  private static Instant instant(String text) {
    if (text == null || text.isEmpty() || text.startsWith("0001-")) {
      return null;
    }
    return Instant.parse(text);
  }
}
