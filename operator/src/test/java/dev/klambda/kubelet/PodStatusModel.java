package dev.klambda.kubelet;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerState;
import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.HostIP;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import java.net.InetAddress;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One Pod's status as the kubelet sees it (phase, conditions, the played container's state), moved
 * along by what happens to the Pod and rendered as the API's PodStatus. Not thread-safe: its {@link
 * PodPlayer} guards it.
 */
final class PodStatusModel {
  /** The node every Pod runs on: this host. */
  static final String HOST_IP = "127.0.0.1";

  private final Pod pod;

  /** The played container; null when the Pod has none, so it has no container status. */
  private final Container container;

  private final Map<String, PodCondition> conditions = new LinkedHashMap<>();
  private String phase = "Pending";
  private String reason;
  private String message;
  private Instant startTime;
  private ContainerState containerState =
      new ContainerStateBuilder()
          .withNewWaiting()
          .withReason("ContainerCreating")
          .endWaiting()
          .build();
  private boolean started;
  private boolean ready;

  PodStatusModel(Pod pod, Container container) {
    this.pod = pod;
    this.container = container;
  }

  /** Scheduled on this node and initialised; nothing runs yet. */
  void scheduled() {
    startTime = Instant.now();
    condition("PodScheduled", true, null);
    condition("Initialized", true, null);
    condition("PodReadyToStartContainers", false, null);
    containersReady(false, "ContainersNotReady");
  }

  /** Volumes mounted, Pod IP allocated. */
  void sandboxReady() {
    condition("PodReadyToStartContainers", true, null);
  }

  void running() {
    started = true;
    containerState =
        new ContainerStateBuilder()
            .withNewRunning()
            .withStartedAt(time(Instant.now()))
            .endRunning()
            .build();
    phase = "Running";
  }

  /** Ready or not (running, or terminated); true when it changed the status. */
  boolean readiness(boolean nowReady) {
    if (nowReady == ready) {
      return false;
    }
    ready = nowReady;
    containersReady(nowReady, nowReady ? null : "ContainersNotReady");
    return true;
  }

  /** The agent exited; an evicted Pod keeps its phase and reason. */
  void terminated(Process agent, int exitCode, boolean evicted) {
    String startedAt =
        containerState.getRunning() == null
            ? time(startTime)
            : containerState.getRunning().getStartedAt();
    containerState =
        new ContainerStateBuilder()
            .withNewTerminated()
            .withExitCode(exitCode)
            .withReason(exitCode == 0 ? "Completed" : "Error")
            .withStartedAt(startedAt)
            .withFinishedAt(time(Instant.now()))
            .withContainerID(containerId(agent))
            .endTerminated()
            .build();
    ready = false;
    containersReady(false, "PodCompleted");
    condition("PodReadyToStartContainers", false, null);
    if (!evicted) {
      // restartPolicy Never: the pod is over
      phase = exitCode == 0 ? "Succeeded" : "Failed";
    }
  }

  /** Node-pressure eviction, recorded as the disruption it is. */
  void evicted() {
    phase = "Failed";
    reason = "Evicted";
    message = "The node was low on resource: memory. (evicted by the kubelet fixture)";
    ready = false;
    containersReady(false, "PodCompleted");
    conditions.put(
        "DisruptionTarget",
        new PodConditionBuilder()
            .withType("DisruptionTarget")
            .withStatus("True")
            .withReason("TerminationByKubelet")
            .withMessage(message)
            .withLastTransitionTime(time(Instant.now()))
            .build());
  }

  /** The Pod cannot be played: its container never starts. */
  void failed(String reason, String message) {
    phase = "Failed";
    this.reason = reason;
    this.message = message;
    containerState =
        new ContainerStateBuilder()
            .withNewTerminated()
            .withExitCode(128)
            .withReason("StartError")
            .withMessage(message)
            .withFinishedAt(time(Instant.now()))
            .endTerminated()
            .build();
    containersReady(false, "PodFailed");
  }

  /** The status to write; {@code ip} and {@code agent} are null until allocated and started. */
  PodStatus render(InetAddress ip, Process agent) {
    PodStatusBuilder status =
        new PodStatusBuilder()
            .withPhase(phase)
            .withReason(reason)
            .withMessage(message)
            .withHostIP(HOST_IP)
            .withHostIPs(new HostIP(HOST_IP))
            .withStartTime(time(startTime))
            .withQosClass(qosClass())
            .withConditions(new ArrayList<>(conditions.values()));
    if (ip != null) {
      status.withPodIP(ip.getHostAddress()).withPodIPs(new PodIP(ip.getHostAddress()));
    }
    if (container != null) {
      status.withContainerStatuses(
          new ContainerStatusBuilder()
              .withName(container.getName())
              .withImage(container.getImage())
              .withImageID("")
              .withContainerID(agent == null ? null : containerId(agent))
              .withStarted(started && containerState.getRunning() != null)
              .withReady(ready)
              .withRestartCount(0)
              .withState(containerState)
              .build());
    }
    return status.build();
  }

  /** The container's readiness is the Pod's: both conditions move together. */
  private void containersReady(boolean value, String reason) {
    condition("ContainersReady", value, reason);
    condition("Ready", value, reason);
  }

  /** Sets a condition; its transition time moves only when its status does. */
  private void condition(String type, boolean status, String reason) {
    String value = status ? "True" : "False";
    PodCondition current = conditions.get(type);
    if (current != null
        && current.getStatus().equals(value)
        && Objects.equals(current.getReason(), reason)) {
      return;
    }
    conditions.put(
        type,
        new PodConditionBuilder()
            .withType(type)
            .withStatus(value)
            .withReason(reason)
            .withLastProbeTime(null)
            .withLastTransitionTime(
                current != null && current.getStatus().equals(value)
                    ? current.getLastTransitionTime()
                    : time(Instant.now()))
            .build());
  }

  /**
   * Guaranteed when every container (init containers, so native sidecars, included) has CPU and
   * memory limits equal to its requests.
   */
  private String qosClass() {
    if (pod.getSpec() == null || pod.getSpec().getContainers() == null) {
      return "BestEffort";
    }
    boolean guaranteed = true;
    boolean any = false;
    List<Container> all = new java.util.ArrayList<>(pod.getSpec().getContainers());
    if (pod.getSpec().getInitContainers() != null) {
      all.addAll(pod.getSpec().getInitContainers());
    }
    for (Container c : all) {
      ResourceRequirements r = c.getResources();
      Map<String, Quantity> limits = r == null || r.getLimits() == null ? Map.of() : r.getLimits();
      Map<String, Quantity> requests =
          r == null || r.getRequests() == null ? limits : r.getRequests();
      any |= !limits.isEmpty() || !requests.isEmpty();
      for (String resource : List.of("cpu", "memory")) {
        Quantity limit = limits.get(resource);
        Quantity request = requests.get(resource);
        if (limit == null
            || (request != null
                && limit.getNumericalAmount().compareTo(request.getNumericalAmount()) != 0)) {
          guaranteed = false;
        }
      }
    }
    return guaranteed ? "Guaranteed" : any ? "Burstable" : "BestEffort";
  }

  private static String containerId(Process agent) {
    return "kubelet-fixture://" + agent.pid();
  }

  private static String time(Instant instant) {
    return instant == null ? null : instant.truncatedTo(ChronoUnit.SECONDS).toString();
  }
}
