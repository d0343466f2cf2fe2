package dev.klambda.kubelet;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Plays the kubelet for klambda's Pods against an API server without nodes (the fabric8 mock server
 * in CRUD mode): every Pod labelled {@code app.kubernetes.io/managed-by=klambda} gets the real
 * agent as a local process on its own loopback address (its "Pod IP"), with the code ConfigMap
 * materialised as its task root, and a status written the way the kubelet writes it.
 *
 * <ul>
 *   <li>Pod added: allocate 127.0.0.2, 127.0.0.3, …; write the {@code code} ConfigMap volume into a
 *       task root (waiting, Pending, while the ConfigMap does not exist yet; an {@code emptyDir}
 *       code volume, a warm-pool member's, is an empty folder); start {@code java -jar
 *       target/agent/klambda-agent.jar} with the container {@code agent}'s environment, then the
 *       launcher with the container {@code function}'s; status Running and Ready with the podIP (no
 *       readiness probe is played: klambda's Pods have none).
 *   <li>Agent exits on its own (crash, {@link #kill}): phase Failed (Succeeded on exit 0, as with
 *       restartPolicy Never), the container terminated with its exit code.
 *   <li>Pod deleted: SIGTERM to the agent, SIGKILL after terminationGracePeriodSeconds.
 *   <li>{@link #evict}: SIGKILL and phase Failed, reason Evicted, the Pod left in place.
 * </ul>
 *
 * <p>The agent runs in a session of its own ({@code setsid}); when it exits, whatever is left of
 * that session (runtime, extensions) is killed, as the end of a container's PID namespace would.
 * Errors in the watch callbacks are logged and the Pod skipped (or marked Failed), never thrown.
 * Each Pod is played by a {@link PodPlayer}.
 */
public final class KubeletFixture implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KubeletFixture.class);
  private static final String MANAGED_BY = "app.kubernetes.io/managed-by";
  private static final String MANAGED_BY_VALUE = "klambda";

  /** The agent as the operator build bundles it, relative to the operator module. */
  private static final Path DEFAULT_AGENT_JAR = Path.of("target", "agent", "klambda-agent.jar");

  /**
   * Platform threads, not virtual ones: a log copier blocked reading a pipe pins its carrier, and a
   * test's own busy virtual threads must not be able to starve the kubelet of the rest.
   */
  private final ExecutorService executor =
      Executors.newCachedThreadPool(
          Thread.ofPlatform().daemon().name("kubelet-fixture-", 0).factory());

  /** Every Pod seen, by uid; kept after deletion so logs stay readable. */
  private final Map<String, PodPlayer> pods = new ConcurrentHashMap<>();

  private final AtomicLong sequence = new AtomicLong();
  private final PodPlayer.Node node;
  private final SharedIndexInformer<Pod> informer;
  private volatile boolean closing;

  public KubeletFixture(KubernetesClient client, Path workDir) {
    this(client, workDir, DEFAULT_AGENT_JAR);
  }

  public KubeletFixture(KubernetesClient client, Path workDir, Path agentJar) {
    Objects.requireNonNull(client, "client");
    Path jar = agentJar.toAbsolutePath();
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(
          "the klambda agent is not at "
              + jar
              + ": run the operator build's package phase first (mvn verify builds target/agent)");
    }
    Path work;
    try {
      work = Files.createDirectories(workDir.toAbsolutePath());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the work folder " + workDir, e);
    }
    this.node = new PodPlayer.Node(client, work, jar, executor, () -> closing);
    this.informer =
        client
            .pods()
            .inAnyNamespace()
            .withLabel(MANAGED_BY, MANAGED_BY_VALUE)
            .inform(new Handler());
  }

  /** The agent's output (stdout and stderr), line by line, of the latest Pod of that name. */
  public List<String> logs(String podName) {
    return latest(podName).map(PodPlayer::logLines).orElse(List.of());
  }

  /** The log file of the latest Pod of that name (it exists once the agent started). */
  public Optional<Path> logFile(String podName) {
    return latest(podName).map(PodPlayer::logFile);
  }

  /** The agent process of the latest Pod of that name, alive or not, once started. */
  public Optional<ProcessHandle> process(String podName) {
    return latest(podName).map(PodPlayer::process).map(Process::toHandle);
  }

  /** The launcher of the function's container of the latest Pod of that name, once started. */
  public Optional<ProcessHandle> launcher(String podName) {
    return latest(podName).map(PodPlayer::launcher).map(Process::toHandle);
  }

  /** The exit code of the agent of the latest Pod of that name, once it has exited. */
  public Optional<Integer> exitCode(String podName) {
    return latest(podName)
        .map(PodPlayer::process)
        .filter(p -> !p.isAlive())
        .map(Process::exitValue);
  }

  /** The agents started by this fixture that are still alive. */
  public int runningAgents() {
    return (int)
        pods.values().stream()
            .map(PodPlayer::process)
            .filter(p -> p != null && p.isAlive())
            .count();
  }

  /** Node-pressure eviction: SIGKILL, then phase Failed, reason Evicted; the Pod is not deleted. */
  public void evict(String namespace, String podName) {
    latest(p -> p.namespace().equals(namespace) && p.name().equals(podName))
        .orElseThrow(() -> new IllegalArgumentException("no pod " + namespace + "/" + podName))
        .evict();
  }

  /** SIGKILL to the agent (and its session): the environment crashes, the Pod becomes Failed. */
  public void kill(String podName) {
    latest(podName).orElseThrow(() -> new IllegalArgumentException("no pod " + podName)).killTree();
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
    for (PodPlayer pod : pods.values()) {
      stopped.add(CompletableFuture.runAsync(pod::terminate, executor));
    }
    long longestGrace = pods.values().stream().mapToLong(PodPlayer::graceSeconds).max().orElse(0);
    try {
      CompletableFuture.allOf(stopped.toArray(CompletableFuture[]::new))
          .get(longestGrace + 30, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.warn("kubelet fixture: agents did not all stop", e);
      pods.values().forEach(PodPlayer::killTree);
    }
    executor.shutdownNow();
  }

  private Optional<PodPlayer> latest(String podName) {
    return latest(p -> p.name().equals(podName));
  }

  /** Pods of one name follow each other (deleted, created again): the latest is the one meant. */
  private Optional<PodPlayer> latest(Predicate<PodPlayer> which) {
    return pods.values().stream().filter(which).max(Comparator.comparingLong(PodPlayer::sequence));
  }

  private final class Handler implements ResourceEventHandler<Pod> {
    @Override
    public void onAdd(Pod pod) {
      play(pod);
    }

    @Override
    public void onUpdate(Pod oldPod, Pod newPod) {
      if (newPod.getMetadata().getDeletionTimestamp() != null) {
        // a real API server's graceful deletion: the kubelet stops the containers now
        stop(newPod);
        return;
      }
      play(newPod);
    }

    @Override
    public void onDelete(Pod pod, boolean deletedFinalStateUnknown) {
      stop(pod);
    }

    private void play(Pod pod) {
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
        PodPlayer player = new PodPlayer(pod, sequence.incrementAndGet(), node);
        if (pods.putIfAbsent(uid, player) == null) {
          executor.execute(player::start);
        }
      } catch (RuntimeException e) {
        LOG.error("kubelet fixture: cannot play pod {}", pod.getMetadata().getName(), e);
      }
    }

    private void stop(Pod pod) {
      try {
        PodPlayer player = pods.get(pod.getMetadata().getUid());
        if (player != null) {
          executor.execute(player::terminate);
        }
      } catch (RuntimeException e) {
        LOG.error("kubelet fixture: cannot handle the deletion of a pod", e);
      }
    }
  }
}
