package dev.klambda.environments;

import dev.klambda.agent.AgentProtocol;
import dev.klambda.function.FunctionConfig;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Execution environments as Pods, one per environment. A Pod is created when the router asks,
 * followed through an informer until it has an IP and its agent reports Init over, and deleted
 * only when the router stops it (an idle environment) — or replaced when it fails on its own.
 * Pods outlive the operator: a new operator process adopts them.
 */
public final class PodEnvironmentManager implements EnvironmentManager {
  private final KubernetesClient client;
  private final EnvironmentPodTemplate template;
  private final AgentClient agent;
  private final Duration startAllowance;
  private final List<SharedIndexInformer<Pod>> informers = new ArrayList<>();
  private final Executor executor = Executors.newVirtualThreadPerTaskExecutor();
  /** Pods this manager follows, by {@code namespace/name}: their IP when known, their end. */
  private final Map<String, Tracked> tracked = new ConcurrentHashMap<>();

  private record Tracked(CompletableFuture<String> ip, CompletableFuture<Void> terminated) {}

  /**
   * @param namespaces where Functions live; empty for all namespaces
   * @param startAllowance time for scheduling and image pulls, on top of the function's Init
   */
  public PodEnvironmentManager(KubernetesClient client, Set<String> namespaces,
      EnvironmentPodTemplate template, AgentClient agent, Duration startAllowance) {
    this.client = client;
    this.template = template;
    this.agent = agent;
    this.startAllowance = startAllowance;
    ResourceEventHandler<Pod> handler = new ResourceEventHandler<>() {
      @Override
      public void onAdd(Pod pod) {
        observed(pod);
      }

      @Override
      public void onUpdate(Pod old, Pod pod) {
        observed(pod);
      }

      @Override
      public void onDelete(Pod pod, boolean finalStateUnknown) {
        gone(key(pod));
      }
    };
    if (namespaces.isEmpty()) {
      informers.add(client.pods().inAnyNamespace()
          .withLabel(EnvironmentPodTemplate.MANAGED_BY, "klambda").inform(handler));
    } else {
      for (String namespace : namespaces) {
        informers.add(client.pods().inNamespace(namespace)
            .withLabel(EnvironmentPodTemplate.MANAGED_BY, "klambda").inform(handler));
      }
    }
  }

  @Override
  public CompletableFuture<Environment> start(FunctionConfig function, boolean provisioned) {
    return EnvironmentStart.async(() -> startNow(function, provisioned), executor);
  }

  private Environment startNow(FunctionConfig function, boolean provisioned)
      throws IOException, InterruptedException {
    Pod pod = client.pods().inNamespace(function.namespace())
        .resource(template.build(function, provisioned)).create();
    String key = key(pod);
    Tracked pending = track(key);
    cached(key).ifPresent(this::observed);
    long deadline = System.nanoTime() + function.initTimeout().plus(startAllowance).toNanos();
    try {
      String ip = pending.ip().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      Environment environment = environment(pod, function, ip, pending);
      agent.awaitInitEnded(environment.address(), deadline, () -> !pending.terminated().isDone());
      return environment;
    } catch (Exception e) {
      delete(key);
      throw new IOException("environment Pod " + key + " did not start: " + e.getMessage(), e);
    }
  }

  @Override
  public CompletableFuture<Void> stop(Environment environment) {
    String key = environment.function().namespace() + "/" + environment.id();
    delete(key);
    return environment.terminated();
  }

  /** Running Pods of the function (any generation), from the informer's cache. */
  @Override
  public List<Environment> existing(FunctionConfig function) {
    List<Environment> environments = new ArrayList<>();
    for (SharedIndexInformer<Pod> informer : informers) {
      for (Pod pod : informer.getStore().list()) {
        if (!function.namespace().equals(pod.getMetadata().getNamespace())
            || !function.name().equals(pod.getMetadata().getLabels().get(EnvironmentPodTemplate.FUNCTION))) {
          continue;
        }
        if (tracked.containsKey(key(pod)) || pod.getMetadata().getDeletionTimestamp() != null) {
          continue; // ours already, or going
        }
        String ip = pod.getStatus() == null ? null : pod.getStatus().getPodIP();
        if (ip == null || terminal(pod)) {
          delete(key(pod)); // a previous operator's Pod that cannot be adopted must not linger
          continue;
        }
        Tracked adopted = track(key(pod));
        adopted.ip().complete(ip);
        environments.add(environment(pod, function, ip, adopted));
      }
    }
    return environments;
  }

  private Environment environment(Pod pod, FunctionConfig function, String ip, Tracked tracked) {
    String generation = pod.getMetadata().getLabels().get(EnvironmentPodTemplate.GENERATION);
    return new Environment(pod.getMetadata().getName(), function,
        generation == null ? -1 : Long.parseLong(generation),
        URI.create("http://" + ip + ":" + AgentProtocol.INVOKE_PORT), tracked.terminated());
  }

  private Tracked track(String key) {
    return tracked.computeIfAbsent(key, k -> new Tracked(new CompletableFuture<>(), new CompletableFuture<>()));
  }

  private void observed(Pod pod) {
    Tracked t = tracked.get(key(pod));
    if (t == null) {
      return;
    }
    if (terminal(pod) || pod.getMetadata().getDeletionTimestamp() != null) {
      gone(key(pod));
      return;
    }
    String ip = pod.getStatus() == null ? null : pod.getStatus().getPodIP();
    if (ip != null && !ip.isEmpty()) {
      t.ip().complete(ip);
    }
  }

  private void gone(String key) {
    Tracked t = tracked.remove(key);
    if (t != null) {
      t.ip().completeExceptionally(new IOException("Pod " + key + " is gone"));
      t.terminated().complete(null);
    }
  }

  private void delete(String key) {
    int slash = key.indexOf('/');
    client.pods().inNamespace(key.substring(0, slash)).withName(key.substring(slash + 1)).delete();
  }

  private java.util.Optional<Pod> cached(String key) {
    return informers.stream().map(i -> i.getStore().getByKey(key))
        .filter(java.util.Objects::nonNull).findFirst();
  }

  /** Failed or Succeeded: the agent is gone (crashed, evicted, OOM-killed). */
  private static boolean terminal(Pod pod) {
    String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
    return "Failed".equals(phase) || "Succeeded".equals(phase);
  }

  private static String key(Pod pod) {
    return Cache.metaNamespaceKeyFunc(pod);
  }

  /** Stops following Pods; the Pods keep running for the next operator to adopt. */
  @Override
  public void close() {
    informers.forEach(SharedIndexInformer::close);
  }
}
