package dev.klambda.kubelet;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapVolumeSource;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerState;
import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.HostIP;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Plays the kubelet for klambda's Pods against an API server without nodes (the fabric8 mock
 * server in CRUD mode): every Pod labelled {@code app.kubernetes.io/managed-by=klambda} gets
 * the real agent as a local process on its own loopback address (its "Pod IP"), with the code
 * ConfigMap materialised as its task root, and a status written the way the kubelet writes it.
 *
 * <ul>
 *   <li>Pod added: allocate 127.0.0.2, 127.0.0.3, …; write the {@code code} ConfigMap volume into
 *       a task root (waiting, Pending, while the ConfigMap does not exist yet); start
 *       {@code java -jar target/agent/klambda-agent.jar} with the container {@code function}'s
 *       environment; status Running with the podIP; Ready once the readiness probe answers 200,
 *       and probed again every period after that.
 *   <li>Agent exits on its own (crash, {@link #kill}): phase Failed (Succeeded on exit 0, as with
 *       restartPolicy Never), the container terminated with its exit code.
 *   <li>Pod deleted: SIGTERM to the agent, SIGKILL after terminationGracePeriodSeconds.
 *   <li>{@link #evict}: SIGKILL and phase Failed, reason Evicted, the Pod left in place.
 * </ul>
 *
 * <p>The agent runs in a session of its own ({@code setsid}); when it exits, whatever is left of
 * that session (runtime, extensions) is killed, as the end of a container's PID namespace would.
 * Errors in the watch callbacks are logged and the Pod skipped (or marked Failed), never thrown.
 */
public final class KubeletFixture implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KubeletFixture.class);

  public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
  public static final String MANAGED_BY_VALUE = "klambda";
  public static final String CONTAINER = "function";
  public static final String CODE_VOLUME = "code";
  public static final int INVOKE_PORT = 9000;
  public static final int RUNTIME_API_PORT = 9001;
  public static final String HOST_IP = "127.0.0.1";
  /** The agent as the operator build bundles it, relative to the operator module. */
  public static final Path DEFAULT_AGENT_JAR = Path.of("target", "agent", "klambda-agent.jar");

  /** Local mode's options for the agent's JVM: it starts fast and small. */
  private static final List<String> AGENT_JVM_OPTIONS = List.of(
      "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto", "-Xss512k",
      "-XX:MaxRAM=256m", "-XX:-UsePerfData");
  private static final long DEFAULT_GRACE_SECONDS = 30;
  private static final Duration CONFIG_MAP_RETRY = Duration.ofMillis(250);
  private static final Pattern ENV_REFERENCE = Pattern.compile("\\$\\$|\\$\\(([-._a-zA-Z0-9]+)\\)");

  /** Addresses in use by the agents of every fixture of this JVM (tests may run several at once). */
  private static final Set<InetAddress> RESERVED = ConcurrentHashMap.newKeySet();
  /**
   * The next address to try, JVM-wide: addresses are not reused soon, so a client still holding a
   * dead Pod's IP gets no answer instead of another Pod's (below 127.64/10, local mode's range).
   */
  private static final AtomicInteger NEXT_ADDRESS = new AtomicInteger(2);
  private static final int ADDRESS_LIMIT = 64 << 16;

  private final KubernetesClient client;
  private final Path workDir;
  private final Path agentJar;
  /**
   * Platform threads, not virtual ones: a log copier blocked reading a pipe pins its carrier, and
   * a test's own busy virtual threads must not be able to starve the kubelet of the rest.
   */
  private final ExecutorService executor = Executors.newCachedThreadPool(
      Thread.ofPlatform().daemon().name("kubelet-fixture-", 0).factory());
  private final HttpClient http = HttpClient.newBuilder()
      .proxy(HttpClient.Builder.NO_PROXY)
      .connectTimeout(Duration.ofSeconds(1))
      .build();
  /** Every Pod seen, by uid; kept after deletion so logs stay readable. */
  private final Map<String, PlayedPod> pods = new ConcurrentHashMap<>();
  private final AtomicLong sequence = new AtomicLong();
  private final SharedIndexInformer<Pod> informer;
  private volatile boolean closing;

  public KubeletFixture(KubernetesClient client, Path workDir) {
    this(client, workDir, DEFAULT_AGENT_JAR);
  }

  public KubeletFixture(KubernetesClient client, Path workDir, Path agentJar) {
    this.client = Objects.requireNonNull(client, "client");
    this.agentJar = agentJar.toAbsolutePath();
    if (!Files.isRegularFile(this.agentJar)) {
      throw new IllegalStateException("the klambda agent is not at " + this.agentJar
          + ": run the operator build's package phase first (mvn verify builds target/agent)");
    }
    try {
      this.workDir = Files.createDirectories(workDir.toAbsolutePath());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the work folder " + workDir, e);
    }
    this.informer = client.pods().inAnyNamespace().withLabel(MANAGED_BY, MANAGED_BY_VALUE)
        .inform(new Handler());
  }

  // ---------------------------------------------------------------- test helpers

  /** The agent's output (stdout and stderr), line by line, of the latest Pod of that name. */
  public List<String> logs(String podName) {
    return find(podName).map(PlayedPod::logLines).orElse(List.of());
  }

  /** The log file of the latest Pod of that name (it exists once the agent started). */
  public Optional<Path> logFile(String podName) {
    return find(podName).map(p -> p.logFile);
  }

  /** The agent process of the latest Pod of that name, alive or not, once started. */
  public Optional<ProcessHandle> process(String podName) {
    return find(podName).map(p -> p.process).map(Process::toHandle);
  }

  /** The exit code of the agent of the latest Pod of that name, once it has exited. */
  public Optional<Integer> exitCode(String podName) {
    return find(podName).map(p -> p.process)
        .filter(p -> !p.isAlive())
        .map(Process::exitValue);
  }

  /** The agents started by this fixture that are still alive. */
  public int runningAgents() {
    return (int) pods.values().stream()
        .map(p -> p.process)
        .filter(p -> p != null && p.isAlive())
        .count();
  }

  /** Node-pressure eviction: SIGKILL, then phase Failed, reason Evicted; the Pod is not deleted. */
  public void evict(String namespace, String podName) {
    PlayedPod pod = pods.values().stream()
        .filter(p -> p.namespace.equals(namespace) && p.name.equals(podName))
        .max(Comparator.comparingLong(p -> p.sequence))
        .orElseThrow(() -> new IllegalArgumentException("no pod " + namespace + "/" + podName));
    pod.evict();
  }

  /** SIGKILL to the agent (and its session): the environment crashes, the Pod becomes Failed. */
  public void kill(String podName) {
    PlayedPod pod = find(podName)
        .orElseThrow(() -> new IllegalArgumentException("no pod " + podName));
    pod.killTree();
  }

  /** Stops watching, SIGTERMs every agent (SIGKILL after its grace period) and waits for them. */
  @Override
  public void close() {
    closing = true;
    try {
      informer.stop();
    } catch (RuntimeException e) {
      LOG.warn("kubelet fixture: stopping the informer failed", e);
    }
    List<CompletableFuture<Void>> stopped = new ArrayList<>();
    for (PlayedPod pod : pods.values()) {
      stopped.add(CompletableFuture.runAsync(pod::terminate, executor));
    }
    long longestGrace = pods.values().stream().mapToLong(p -> p.graceSeconds).max().orElse(0);
    try {
      CompletableFuture.allOf(stopped.toArray(CompletableFuture[]::new))
          .get(longestGrace + 30, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.warn("kubelet fixture: agents did not all stop", e);
      pods.values().forEach(PlayedPod::killTree);
    }
    executor.shutdownNow();
    http.close();
  }

  private Optional<PlayedPod> find(String podName) {
    return pods.values().stream()
        .filter(p -> p.name.equals(podName))
        .max(Comparator.comparingLong(p -> p.sequence));
  }

  // ---------------------------------------------------------------- watch

  private final class Handler implements ResourceEventHandler<Pod> {
    @Override
    public void onAdd(Pod pod) {
      seen(pod);
    }

    @Override
    public void onUpdate(Pod oldPod, Pod newPod) {
      if (newPod.getMetadata().getDeletionTimestamp() != null) {
        // a real API server's graceful deletion: the kubelet stops the containers now
        PlayedPod played = pods.get(newPod.getMetadata().getUid());
        if (played != null) {
          executor.execute(played::terminate);
        }
        return;
      }
      seen(newPod);
    }

    @Override
    public void onDelete(Pod pod, boolean deletedFinalStateUnknown) {
      try {
        PlayedPod played = pods.get(pod.getMetadata().getUid());
        if (played != null) {
          executor.execute(played::terminate);
        }
      } catch (RuntimeException e) {
        LOG.error("kubelet fixture: cannot handle the deletion of a pod", e);
      }
    }

    private void seen(Pod pod) {
      try {
        if (closing || pod.getMetadata().getDeletionTimestamp() != null) {
          return;
        }
        String uid = pod.getMetadata().getUid();
        if (uid == null || pods.containsKey(uid)) {
          return;
        }
        String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
        if ("Succeeded".equals(phase) || "Failed".equals(phase)) {
          return; // over before this kubelet started
        }
        PlayedPod played = new PlayedPod(pod, sequence.incrementAndGet());
        if (pods.putIfAbsent(uid, played) == null) {
          executor.execute(played::start);
        }
      } catch (RuntimeException e) {
        LOG.error("kubelet fixture: cannot play pod {}", pod.getMetadata().getName(), e);
      }
    }
  }

  // ---------------------------------------------------------------- one pod

  private final class PlayedPod {
    final String namespace;
    final String name;
    final String uid;
    final long sequence;
    final Pod spec;
    final long graceSeconds;
    final Path podDir;
    final Path logFile;
    final List<String> logs = Collections.synchronizedList(new ArrayList<>());
    /** Completes once the agent has exited and the status says so (or it never started). */
    final CompletableFuture<Void> finished = new CompletableFuture<>();

    /** Guards the lifecycle fields and the status model below (never held over I/O). */
    final Object lock = new Object();
    /** Orders the status writes (held over the API call). */
    final ReentrantLock statusLock = new ReentrantLock();
    volatile Process process;
    volatile InetAddress address;
    volatile boolean deleted;
    volatile boolean evicted;
    Thread logCopier;

    // the status as this kubelet sees it
    String phase = "Pending";
    String reason;
    String message;
    Instant startTime;
    ContainerState containerState = new ContainerStateBuilder()
        .withNewWaiting().withReason("ContainerCreating").endWaiting().build();
    boolean started;
    volatile boolean ready;
    final Map<String, PodCondition> conditions = new LinkedHashMap<>();

    PlayedPod(Pod pod, long sequence) {
      this.namespace = pod.getMetadata().getNamespace();
      this.name = pod.getMetadata().getName();
      this.uid = pod.getMetadata().getUid();
      this.sequence = sequence;
      this.spec = pod;
      Long grace = pod.getSpec() == null ? null : pod.getSpec().getTerminationGracePeriodSeconds();
      this.graceSeconds = grace == null ? DEFAULT_GRACE_SECONDS : Math.max(0, grace);
      String dirName = namespace + "_" + name + "_" + sequence;
      this.podDir = workDir.resolve("pods").resolve(dirName);
      this.logFile = workDir.resolve("logs").resolve(dirName + ".log");
    }

    List<String> logLines() {
      synchronized (logs) {
        return List.copyOf(logs);
      }
    }

    String key() {
      return namespace + "/" + name;
    }

    // ---- start

    void start() {
      try {
        synchronized (lock) {
          startTime = Instant.now();
          condition("PodScheduled", true, null);
          condition("Initialized", true, null);
          condition("PodReadyToStartContainers", false, null);
          condition("ContainersReady", false, "ContainersNotReady");
          condition("Ready", false, "ContainersNotReady");
        }
        writeStatus();

        Container container = container();
        if (container == null) {
          fail("ContainerNotPlayable", "the kubelet fixture plays a container named '" + CONTAINER
              + "', the pod has none");
          return;
        }
        Volume code = codeVolume();
        if (code == null) {
          fail("CodeNotPlayable", "the kubelet fixture needs the code in a ConfigMap volume named '"
              + CODE_VOLUME + "': code in the image (" + container.getImage() + ") cannot be played");
          return;
        }
        Path taskRoot = podDir.resolve("task");
        Path tmp = podDir.resolve("tmp");
        if (!materialise(code.getConfigMap(), taskRoot)) {
          deleteQuietly(podDir); // deleted or closing while waiting for the ConfigMap
          return;
        }
        Files.createDirectories(tmp);
        Files.createDirectories(logFile.getParent());

        InetAddress ip = allocate();
        address = ip;
        synchronized (lock) {
          condition("PodReadyToStartContainers", true, null);
        }
        Map<String, String> env = environment(container, ip, taskRoot, tmp);
        ProcessBuilder builder = new ProcessBuilder(command())
            .directory(taskRoot.toFile())
            .redirectErrorStream(true)
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        builder.environment().clear();
        builder.environment().putAll(env);
        Process started;
        synchronized (lock) {
          if (deleted || evicted || closing) {
            release();
            deleteQuietly(podDir);
            finished.complete(null);
            return;
          }
          started = builder.start();
          process = started;
          this.started = true;
          containerState = new ContainerStateBuilder().withNewRunning()
              .withStartedAt(time(Instant.now())).endRunning().build();
          phase = "Running";
          logCopier = Thread.ofPlatform().daemon().name("kubelet-logs-" + name)
              .start(() -> copyLogs(started));
        }
        LOG.info("kubelet fixture: pod {} runs agent pid {} on {}", key(), started.pid(),
            ip.getHostAddress());
        started.onExit().thenRunAsync(this::exited, executor);
        writeStatus();
        probeReadiness(container, started);
      } catch (Exception e) {
        LOG.error("kubelet fixture: cannot start pod {}", key(), e);
        fail("FixtureError", "the kubelet fixture could not start the pod: " + e);
      }
    }

    Container container() {
      if (spec.getSpec() == null || spec.getSpec().getContainers() == null) {
        return null;
      }
      return spec.getSpec().getContainers().stream()
          .filter(c -> CONTAINER.equals(c.getName())).findFirst().orElse(null);
    }

    Volume codeVolume() {
      if (spec.getSpec() == null || spec.getSpec().getVolumes() == null) {
        return null;
      }
      return spec.getSpec().getVolumes().stream()
          .filter(v -> CODE_VOLUME.equals(v.getName()) && v.getConfigMap() != null)
          .findFirst().orElse(null);
    }

    /** Writes the ConfigMap as the kubelet mounts it; false when given up (deleted, closing). */
    boolean materialise(ConfigMapVolumeSource source, Path taskRoot) throws IOException,
        InterruptedException {
      ConfigMap configMap = null;
      boolean reported = false;
      while (configMap == null) {
        if (deleted || evicted || closing) {
          finished.complete(null);
          return false;
        }
        try {
          configMap = client.configMaps().inNamespace(namespace).withName(source.getName()).get();
        } catch (KubernetesClientException e) {
          LOG.warn("kubelet fixture: reading ConfigMap {}/{} failed", namespace, source.getName(), e);
        }
        if (configMap == null) {
          if (Boolean.TRUE.equals(source.getOptional())) {
            configMap = new ConfigMap();
            break;
          }
          if (!reported) {
            // what the kubelet does: FailedMount, the container stays in ContainerCreating
            LOG.info("kubelet fixture: pod {} waits for ConfigMap {}", key(), source.getName());
            reported = true;
          }
          Thread.sleep(CONFIG_MAP_RETRY.toMillis());
        }
      }
      Map<String, byte[]> content = new LinkedHashMap<>();
      if (configMap.getData() != null) {
        configMap.getData().forEach((k, v) -> content.put(k, v.getBytes(StandardCharsets.UTF_8)));
      }
      if (configMap.getBinaryData() != null) {
        configMap.getBinaryData().forEach((k, v) -> content.put(k, Base64.getDecoder().decode(v)));
      }
      int defaultMode = source.getDefaultMode() == null ? 0644 : source.getDefaultMode();
      Files.createDirectories(taskRoot);
      List<KeyToPath> items = source.getItems();
      if (items != null && !items.isEmpty()) {
        for (KeyToPath item : items) {
          byte[] bytes = content.get(item.getKey());
          if (bytes == null) {
            if (Boolean.TRUE.equals(source.getOptional())) {
              continue;
            }
            throw new IOException("ConfigMap " + source.getName() + " has no key " + item.getKey());
          }
          write(taskRoot, item.getPath(), bytes, item.getMode() == null ? defaultMode : item.getMode());
        }
      } else {
        for (Map.Entry<String, byte[]> file : content.entrySet()) {
          write(taskRoot, file.getKey(), file.getValue(), defaultMode);
        }
      }
      return true;
    }

    Map<String, String> environment(Container container, InetAddress ip, Path taskRoot, Path tmp) {
      Map<String, String> env = new LinkedHashMap<>();
      if (container.getEnv() != null) {
        for (EnvVar var : container.getEnv()) {
          if (var.getValueFrom() != null) {
            String value = valueFrom(var, ip);
            if (value != null) {
              env.put(var.getName(), value);
            }
            continue;
          }
          env.put(var.getName(), expand(var.getValue() == null ? "" : var.getValue(), env));
        }
      }
      String host = ip.getHostAddress();
      env.put("KLAMBDA_TASK_ROOT", taskRoot.toString());
      env.put("KLAMBDA_INVOKE_ADDRESS", host + ":" + INVOKE_PORT);
      env.put("KLAMBDA_RUNTIME_API", host + ":" + RUNTIME_API_PORT);
      // the host's tools stand in for the image's
      env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin"));
      env.put("TMPDIR", tmp.toString());
      return env;
    }

    String valueFrom(EnvVar var, InetAddress ip) {
      if (var.getValueFrom().getFieldRef() != null) {
        String field = var.getValueFrom().getFieldRef().getFieldPath();
        return switch (field) {
          case "metadata.name" -> name;
          case "metadata.namespace" -> namespace;
          case "metadata.uid" -> uid;
          case "status.podIP" -> ip.getHostAddress();
          case "status.hostIP" -> HOST_IP;
          case "spec.nodeName" -> "kubelet-fixture";
          default -> {
            LOG.warn("kubelet fixture: pod {}: env {} from field {} is not played", key(),
                var.getName(), field);
            yield null;
          }
        };
      }
      LOG.warn("kubelet fixture: pod {}: env {} from {} is not played", key(), var.getName(),
          var.getValueFrom());
      return null;
    }

    List<String> command() {
      List<String> command = new ArrayList<>();
      if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
        // a session of its own: what is left of it when the agent exits is the "container"
        command.add("/usr/bin/setsid");
      }
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      command.addAll(AGENT_JVM_OPTIONS);
      command.add("-jar");
      command.add(agentJar.toString());
      return command;
    }

    void copyLogs(Process process) {
      try (BufferedReader lines = new BufferedReader(
              new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
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

    // ---- readiness

    void probeReadiness(Container container, Process agent) {
      Probe probe = container.getReadinessProbe();
      HTTPGetAction get = probe == null ? null : probe.getHttpGet();
      String path = get == null || get.getPath() == null ? "/klambda/ready" : get.getPath();
      int port = INVOKE_PORT;
      if (get != null && get.getPort() != null && get.getPort().getIntVal() != null) {
        port = get.getPort().getIntVal();
      }
      long periodMillis = probe == null || probe.getPeriodSeconds() == null
          ? 1000 : probe.getPeriodSeconds() * 1000L;
      String base = "http://" + address.getHostAddress() + ":" + port + path;
      String waiting = base + (path.contains("?") ? "&" : "?") + "waitMs=1000";
      int lastCode = 0;
      while (true) {
        if (!agent.isAlive() || deleted || evicted || closing) {
          return;
        }
        // until the first success, let the agent hold the probe until Init ends
        int code = get(ready ? base : waiting);
        if (code != lastCode && code == 500) {
          LOG.info("kubelet fixture: pod {}: Init failed, not Ready", key());
        }
        lastCode = code;
        boolean nowReady = code == 200;
        boolean changed = false;
        synchronized (lock) {
          if (!agent.isAlive() || deleted || evicted || closing) {
            return;
          }
          if (nowReady != ready) {
            ready = nowReady;
            condition("ContainersReady", nowReady, nowReady ? null : "ContainersNotReady");
            condition("Ready", nowReady, nowReady ? null : "ContainersNotReady");
            changed = true;
          }
        }
        if (changed) {
          writeStatus();
        }
        // quick while the agent is not listening yet or still in Init, then every period
        long pause = nowReady || code == 500 ? periodMillis : code < 0 ? 100 : 20;
        try {
          Thread.sleep(pause);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }

    /** The status code, or -1 when nothing answers. */
    int get(String uri) {
      try {
        HttpResponse<Void> response = http.send(HttpRequest.newBuilder(URI.create(uri))
            .timeout(Duration.ofSeconds(3)).GET().build(), HttpResponse.BodyHandlers.discarding());
        return response.statusCode();
      } catch (IOException e) {
        return -1;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return -1;
      }
    }

    // ---- stop

    /** The agent exited: by itself, killed, evicted or stopped after deletion. */
    void exited() {
      Process agent = process;
      try {
        killLeftovers(agent);
        Thread copier;
        synchronized (lock) {
          copier = logCopier;
        }
        if (copier != null) {
          copier.join(Duration.ofSeconds(5));
        }
        int exitCode = agent.exitValue();
        LOG.info("kubelet fixture: agent of pod {} exited with {}", key(), exitCode);
        synchronized (lock) {
          String startedAt = containerState.getRunning() == null
              ? time(startTime) : containerState.getRunning().getStartedAt();
          containerState = new ContainerStateBuilder().withNewTerminated()
              .withExitCode(exitCode)
              .withReason(exitCode == 0 ? "Completed" : "Error")
              .withStartedAt(startedAt).withFinishedAt(time(Instant.now()))
              .withContainerID(containerId(agent)).endTerminated().build();
          ready = false;
          condition("ContainersReady", false, "PodCompleted");
          condition("Ready", false, "PodCompleted");
          condition("PodReadyToStartContainers", false, null);
          if (!evicted) {
            // restartPolicy Never: the pod is over
            phase = exitCode == 0 ? "Succeeded" : "Failed";
          }
        }
        writeStatus();
      } catch (Exception e) {
        LOG.error("kubelet fixture: after the agent of {} exited", key(), e);
      } finally {
        release();
        if (deleted || closing) {
          deleteQuietly(podDir);
        }
        finished.complete(null);
      }
    }

    /** The pod is deleted (or the fixture closes): SIGTERM, SIGKILL after the grace period. */
    void terminate() {
      String why = closing ? "the fixture closes" : "pod deleted";
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
      if (agent.isAlive()) {
        LOG.info("kubelet fixture: {}: {}, SIGTERM to pid {} (grace {} s)", key(), why,
            agent.pid(), graceSeconds);
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
      try {
        finished.get(15, TimeUnit.SECONDS);
      } catch (Exception e) {
        LOG.warn("kubelet fixture: pod {} did not finish", key(), e);
      }
      deleteQuietly(podDir); // emptyDir and volumes go with the pod
    }

    void evict() {
      synchronized (lock) {
        evicted = true;
        phase = "Failed";
        reason = "Evicted";
        message = "The node was low on resource: memory. (evicted by the kubelet fixture)";
        ready = false;
        condition("ContainersReady", false, "PodCompleted");
        condition("Ready", false, "PodCompleted");
        PodCondition disruption = new PodConditionBuilder().withType("DisruptionTarget")
            .withStatus("True").withReason("TerminationByKubelet").withMessage(message)
            .withLastTransitionTime(time(Instant.now())).build();
        conditions.put("DisruptionTarget", disruption);
      }
      Process agent = process;
      if (agent != null) {
        killTree();
        try {
          finished.get(15, TimeUnit.SECONDS);
        } catch (Exception e) {
          LOG.warn("kubelet fixture: evicted pod {} did not finish", key(), e);
        }
      }
      writeStatus();
    }

    /** SIGKILL to the agent and everything of its session. */
    void killTree() {
      Process agent = process;
      if (agent == null) {
        return;
      }
      Set<ProcessHandle> tree = new LinkedHashSet<>();
      tree.add(agent.toHandle());
      agent.descendants().forEach(tree::add);
      tree.addAll(sessionMembers(agent.pid()));
      tree.forEach(ProcessHandle::destroyForcibly);
    }

    /** What the agent leaves behind dies with it, as in a container's PID namespace. */
    void killLeftovers(Process agent) {
      Set<ProcessHandle> left = new LinkedHashSet<>(sessionMembers(agent.pid()));
      agent.descendants().forEach(left::add);
      if (!left.isEmpty()) {
        LOG.info("kubelet fixture: pod {}: killing what the agent left running: {}", key(),
            left.stream().map(p -> p.pid() + " " + p.info().commandLine().orElse("?")).toList());
        left.forEach(ProcessHandle::destroyForcibly);
        for (ProcessHandle p : left) {
          try {
            p.onExit().get(5, TimeUnit.SECONDS);
          } catch (Exception ignored) {
            // gone or stuck: nothing more to do
          }
        }
      }
    }

    void fail(String reason, String message) {
      LOG.warn("kubelet fixture: pod {} failed: {}", key(), message);
      synchronized (lock) {
        phase = "Failed";
        this.reason = reason;
        this.message = message;
        containerState = new ContainerStateBuilder().withNewTerminated().withExitCode(128)
            .withReason("StartError").withMessage(message)
            .withFinishedAt(time(Instant.now())).endTerminated().build();
        condition("ContainersReady", false, "PodFailed");
        condition("Ready", false, "PodFailed");
      }
      writeStatus();
      release();
      finished.complete(null);
    }

    // ---- status

    void condition(String type, boolean status, String reason) {
      String value = status ? "True" : "False";
      PodCondition current = conditions.get(type);
      if (current != null && current.getStatus().equals(value)
          && Objects.equals(current.getReason(), reason)) {
        return;
      }
      conditions.put(type, new PodConditionBuilder().withType(type).withStatus(value)
          .withReason(reason).withLastProbeTime(null)
          .withLastTransitionTime(current != null && current.getStatus().equals(value)
              ? current.getLastTransitionTime() : time(Instant.now()))
          .build());
    }

    PodStatus render() {
      Container container = container();
      PodStatusBuilder status = new PodStatusBuilder()
          .withPhase(phase)
          .withReason(reason)
          .withMessage(message)
          .withHostIP(HOST_IP)
          .withHostIPs(new HostIP(HOST_IP))
          .withStartTime(time(startTime))
          .withQosClass(qosClass())
          .withConditions(new ArrayList<>(conditions.values()));
      if (address != null) {
        status.withPodIP(address.getHostAddress()).withPodIPs(new PodIP(address.getHostAddress()));
      }
      if (container != null) {
        Process agent = process;
        ContainerStatus containerStatus = new ContainerStatusBuilder()
            .withName(CONTAINER)
            .withImage(container.getImage())
            .withImageID("")
            .withContainerID(agent == null ? null : containerId(agent))
            .withStarted(started && containerState.getRunning() != null)
            .withReady(ready)
            .withRestartCount(0)
            .withState(containerState)
            .build();
        status.withContainerStatuses(containerStatus);
      }
      return status.build();
    }

    /** Guaranteed when every container has CPU and memory limits equal to its requests. */
    String qosClass() {
      if (spec.getSpec() == null || spec.getSpec().getContainers() == null) {
        return "BestEffort";
      }
      boolean guaranteed = true;
      boolean any = false;
      for (Container c : spec.getSpec().getContainers()) {
        ResourceRequirements r = c.getResources();
        Map<String, Quantity> limits = r == null || r.getLimits() == null ? Map.of() : r.getLimits();
        Map<String, Quantity> requests = r == null || r.getRequests() == null ? limits : r.getRequests();
        any |= !limits.isEmpty() || !requests.isEmpty();
        for (String resource : List.of("cpu", "memory")) {
          Quantity limit = limits.get(resource);
          Quantity request = requests.get(resource);
          if (limit == null || (request != null
              && limit.getNumericalAmount().compareTo(request.getNumericalAmount()) != 0)) {
            guaranteed = false;
          }
        }
      }
      return guaranteed ? "Guaranteed" : any ? "Burstable" : "BestEffort";
    }

    /** The status subresource, read-modify-write; nothing once deleted or closing. */
    void writeStatus() {
      statusLock.lock();
      try {
        PodStatus status;
        synchronized (lock) {
          if (deleted || closing) {
            return;
          }
          status = render();
        }
        try {
          client.pods().inNamespace(namespace).withName(name).editStatus(current ->
              uid.equals(current.getMetadata().getUid())
                  ? new PodBuilder(current).withStatus(status).build()
                  : current);
        } catch (KubernetesClientException e) {
          if (e.getCode() == 404) {
            LOG.debug("kubelet fixture: pod {} is gone", key());
          } else {
            LOG.warn("kubelet fixture: cannot write the status of pod {}", key(), e);
          }
        } catch (RuntimeException e) {
          LOG.warn("kubelet fixture: cannot write the status of pod {}", key(), e);
        }
      } finally {
        statusLock.unlock();
      }
    }

    void release() {
      InetAddress ip = address;
      if (ip != null && (process == null || !process.isAlive())) {
        RESERVED.remove(ip);
      }
    }
  }

  // ---------------------------------------------------------------- helpers

  /** 127.0.0.2, 127.0.0.3, … 127.0.1.1, …: the next one not in use whose ports are free. */
  private static InetAddress allocate() throws IOException {
    for (int attempt = 0; attempt < 4096; attempt++) {
      int n = NEXT_ADDRESS.getAndUpdate(i -> i + 1 < ADDRESS_LIMIT ? i + 1 : 2);
      if ((n & 0xff) == 0 || (n & 0xff) == 0xff) {
        continue;
      }
      InetAddress address = loopback(n);
      if (!RESERVED.add(address)) {
        continue;
      }
      if (bindable(address, INVOKE_PORT) && bindable(address, RUNTIME_API_PORT)) {
        return address;
      }
      RESERVED.remove(address);
    }
    throw new IOException("no loopback address with ports " + INVOKE_PORT + " and "
        + RUNTIME_API_PORT + " free");
  }

  private static InetAddress loopback(int n) throws UnknownHostException {
    return InetAddress.getByAddress(new byte[] {127, (byte) (n >> 16), (byte) (n >> 8), (byte) n});
  }

  private static boolean bindable(InetAddress address, int port) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(address, port));
      return true;
    } catch (IOException inUse) {
      return false;
    }
  }

  private static void write(Path root, String relative, byte[] content, int mode) throws IOException {
    Path target = root.resolve(relative).normalize();
    if (relative.isEmpty() || Path.of(relative).isAbsolute() || !target.startsWith(root)
        || target.equals(root)) {
      throw new IOException("volume item path outside the volume: " + relative);
    }
    Files.createDirectories(target.getParent());
    Files.write(target, content);
    Files.setPosixFilePermissions(target, permissions(mode));
  }

  /** An octal file mode (0555) as permissions; the owner may always read it (as root would). */
  static Set<PosixFilePermission> permissions(int mode) {
    Set<PosixFilePermission> permissions = EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] bits = {
        PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
        PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
        PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ};
    for (int bit = 0; bit < bits.length; bit++) {
      if ((mode & (1 << bit)) != 0) {
        permissions.add(bits[bit]);
      }
    }
    return permissions;
  }

  /** Kubernetes' {@code $(VAR)} references to earlier variables; {@code $$} is a literal $. */
  static String expand(String value, Map<String, String> defined) {
    Matcher m = ENV_REFERENCE.matcher(value);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String replacement;
      if (m.group(1) == null) {
        replacement = "$";
      } else {
        replacement = defined.getOrDefault(m.group(1), m.group());
      }
      m.appendReplacement(out, Matcher.quoteReplacement(replacement));
    }
    m.appendTail(out);
    return out.toString();
  }

  /** The processes in the session the agent leads (setsid), read from /proc; empty elsewhere. */
  private static Collection<ProcessHandle> sessionMembers(long sessionId) {
    List<ProcessHandle> members = new ArrayList<>();
    try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
      all.forEach(p -> {
        if (p.pid() != sessionId && session(p.pid()) == sessionId) {
          members.add(p);
        }
      });
    }
    return members;
  }

  private static long session(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      // pid (comm) state ppid pgrp session ...; comm may hold spaces and parentheses
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      if (fields[0].equals("Z") || fields[0].equals("X")) {
        return -1; // dead already, waiting to be reaped
      }
      return Long.parseLong(fields[3]);
    } catch (IOException | RuntimeException gone) {
      return -1;
    }
  }

  private static String containerId(Process process) {
    return "kubelet-fixture://" + process.pid();
  }

  private static String time(Instant instant) {
    return instant == null ? null : instant.truncatedTo(ChronoUnit.SECONDS).toString();
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
