package dev.klambda.environments;

import dev.klambda.agent.AgentProtocol;
import dev.klambda.agent.PoolClaim;
import dev.klambda.function.CodeSource;
import dev.klambda.function.FunctionConfig;
import dev.klambda.informers.LatestState;
import dev.klambda.pool.PoolMember;
import dev.klambda.pool.PoolMembers;
import dev.klambda.pool.PoolSpec;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
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
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Execution environments as Pods, one per environment. A Pod is created when the router asks,
 * followed through an informer until it has an IP and its agent reports Init over, and deleted only
 * when the router stops it (an idle environment) — or replaced when it fails on its own. Warm-pool
 * members are Pods too, labelled with their pool until a function claims one: then they get the
 * function's labels and owner, and are its environment like any other. Pods outlive the operator: a
 * new operator process adopts them.
 */
public final class PodEnvironmentManager implements EnvironmentManager, PoolMembers {
  private static final Logger LOG = LoggerFactory.getLogger(PodEnvironmentManager.class);

  private final KubernetesClient client;

  /** Replaced by one without the Init boost when the cluster refuses in-place resizes. */
  private final AtomicReference<EnvironmentPodTemplate> template;

  private final InitCpuBoost boost;
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
  public PodEnvironmentManager(
      KubernetesClient client,
      Set<String> namespaces,
      EnvironmentPodTemplate template,
      AgentClient agent,
      Duration startAllowance) {
    this.client = client;
    this.template = new AtomicReference<>(template);
    this.boost = new InitCpuBoost(client, this.template);
    this.agent = agent;
    this.startAllowance = startAllowance;
    ResourceEventHandler<Pod> handler = LatestState.of(this::observed, pod -> gone(key(pod)));
    if (namespaces.isEmpty()) {
      informers.add(
          client
              .pods()
              .inAnyNamespace()
              .withLabel(EnvironmentPodTemplate.MANAGED_BY, "klambda")
              .inform(handler));
    } else {
      for (String namespace : namespaces) {
        informers.add(
            client
                .pods()
                .inNamespace(namespace)
                .withLabel(EnvironmentPodTemplate.MANAGED_BY, "klambda")
                .inform(handler));
      }
    }
  }

  @Override
  public CompletableFuture<Environment> start(FunctionConfig function, boolean provisioned) {
    return EnvironmentStart.async(() -> startNow(function, provisioned), executor);
  }

  private Environment startNow(FunctionConfig function, boolean provisioned)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + function.initTimeout().plus(startAllowance).toNanos();
    return startPod(
        template.get().build(function, provisioned),
        deadline,
        "environment",
        (pod, ip, pending) -> {
          Environment environment = environment(pod, function, ip, pending);
          agent.awaitInitEnded(
              environment.address(), deadline, () -> !pending.terminated().isDone());
          endInitBoost(pod);
          return environment;
        });
  }

  /** What a started Pod is waited for once it has an IP. */
  private interface Readiness<T> {
    T await(Pod pod, String ip, Tracked pending) throws IOException, InterruptedException;
  }

  /** Creates the Pod, then waits for its IP and {@code ready}; deletes it when either fails. */
  private <T> T startPod(Pod spec, long deadline, String what, Readiness<T> ready)
      throws IOException, InterruptedException {
    Pod pod = client.pods().inNamespace(spec.getMetadata().getNamespace()).resource(spec).create();
    String key = key(pod);
    Tracked pending = track(key);
    cached(key).ifPresent(this::observed);
    try {
      String ip = pending.ip().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      return ready.await(pod, ip, pending);
    } catch (Exception e) {
      delete(key);
      if (e instanceof InterruptedException interrupted) {
        throw interrupted;
      }
      throw new IOException(what + " Pod " + key + " did not start: " + e.getMessage(), e);
    }
  }

  @Override
  public CompletableFuture<PoolMember> startMember(PoolSpec pool) {
    return EnvironmentStart.async(() -> startMemberNow(pool), executor);
  }

  private PoolMember startMemberNow(PoolSpec pool) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + startAllowance.toNanos();
    return startPod(
        template.get().buildPoolMember(pool),
        deadline,
        "pool member",
        (pod, ip, pending) -> {
          PoolMember member = member(pod, pool, ip, pending);
          agent.awaitClaimable(member.address(), deadline, () -> !pending.terminated().isDone());
          return member;
        });
  }

  /**
   * Claims first, then labels: a Pod whose claim failed is deleted, and one claimed but not yet
   * labelled when the operator stops is refused (409) by the next operator's pool and deleted.
   */
  @Override
  public Environment claim(PoolMember member, FunctionConfig function, boolean provisioned)
      throws IOException, InterruptedException {
    String key = function.namespace() + "/" + member.id();
    long deadline = System.nanoTime() + function.initTimeout().plus(startAllowance).toNanos();
    try {
      agent.claim(
          member.address(),
          member.invokeToken(),
          AgentEnvironment.claim(
              function,
              template.get().region(),
              provisioned,
              code(function),
              template.get().billing()));
      // labelled while its Init runs: from now on the Pod is the function's, also for adoption
      CompletableFuture<Void> labelled =
          CompletableFuture.runAsync(() -> label(member, function), executor);
      Environment environment = member.claimedBy(function);
      agent.awaitInitEnded(environment.address(), deadline, () -> !member.terminated().isDone());
      cached(key).ifPresent(this::endInitBoost);
      labelled.join();
      return environment;
    } catch (IOException | RuntimeException e) {
      delete(key);
      throw new IOException(
          "claiming pool member " + key + " for " + function.key() + " failed: " + e.getMessage(),
          e);
    }
  }

  @Override
  public void discard(PoolMember member) {
    delete(member.pool().namespace() + "/" + member.id());
  }

  /**
   * Unclaimed members from the informer's cache: those of a configured pool that still answer as
   * claimable are adopted, the rest (another pool size, claimed, broken) deleted.
   */
  @Override
  public List<PoolMember> existingMembers(List<PoolSpec> pools) {
    List<PoolMember> members = new ArrayList<>();
    for (Pod pod :
        untracked(p -> p.getMetadata().getLabels().containsKey(EnvironmentPodTemplate.POOL))) {
      String poolName = pod.getMetadata().getLabels().get(EnvironmentPodTemplate.POOL);
      PoolSpec pool =
          pools.stream()
              .filter(
                  p ->
                      p.name().equals(poolName)
                          && p.namespace().equals(pod.getMetadata().getNamespace()))
              .findFirst()
              .orElse(null);
      if (pool == null) {
        delete(key(pod)); // a pool no longer configured
        continue;
      }
      Tracked adopted = adopt(pod);
      if (adopted == null) {
        continue;
      }
      PoolMember member = member(pod, pool, adopted.ip().join(), adopted);
      try {
        agent.awaitClaimable(
            member.address(),
            System.nanoTime() + TimeUnit.SECONDS.toNanos(2),
            () -> !adopted.terminated().isDone());
        members.add(member);
      } catch (IOException e) {
        LOG.info("pool member {} cannot be adopted, deleting it: {}", key(pod), e.getMessage());
        delete(key(pod));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return members;
      }
    }
    return members;
  }

  /**
   * Its first Init is over: a function container created with a CPU limit above its request (an
   * Init boost) gets its request, the memory-based share, as its limit.
   */
  private void endInitBoost(Pod pod) {
    pod.getSpec().getContainers().stream()
        .filter(c -> c.getName().equals(EnvironmentPodTemplate.FUNCTION_CONTAINER))
        .filter(
            c ->
                c.getResources().getLimits() != null
                    && c.getResources().getLimits().containsKey("cpu")
                    && !c.getResources()
                        .getLimits()
                        .get("cpu")
                        .equals(c.getResources().getRequests().get("cpu")))
        .findFirst()
        .ifPresent(
            c ->
                boost.end(
                    pod.getMetadata().getNamespace(),
                    pod.getMetadata().getName(),
                    c.getResources().getRequests().get("cpu").toString()));
  }

  /** The function's labels and owner in place of the pool's label. */
  private void label(PoolMember member, FunctionConfig function) {
    client
        .pods()
        .inNamespace(function.namespace())
        .withName(member.id())
        .edit(
            pod ->
                new PodBuilder(pod)
                    .editMetadata()
                    .removeFromLabels(EnvironmentPodTemplate.POOL)
                    .addToLabels(EnvironmentPodTemplate.labels(function))
                    .withOwnerReferences(EnvironmentPodTemplate.owner(function))
                    .endMetadata()
                    .build());
  }

  /** The function's code: inline from its spec, or read from its ConfigMap now. */
  private Map<String, PoolClaim.CodeFile> code(FunctionConfig function) throws IOException {
    return switch (function.code()) {
      case CodeSource.Inline inline -> CodeFiles.inline(inline.files());
      case CodeSource.FromConfigMap fromConfigMap -> {
        ConfigMap configMap =
            client
                .configMaps()
                .inNamespace(function.namespace())
                .withName(fromConfigMap.name())
                .get();
        if (configMap == null) {
          throw new IOException(
              "ConfigMap "
                  + function.namespace()
                  + "/"
                  + fromConfigMap.name()
                  + " with the code of "
                  + function.key()
                  + " does not exist");
        }
        yield CodeFiles.of(configMap);
      }
      case CodeSource.FromImage image ->
          throw new IOException(
              "code in an image (" + image.image() + ") needs a Pod of that image");
    };
  }

  private PoolMember member(Pod pod, PoolSpec pool, String ip, Tracked tracked) {
    return new PoolMember(
        pod.getMetadata().getName(),
        pool,
        URI.create("http://" + ip + ":" + AgentProtocol.INVOKE_PORT),
        tracked.terminated(),
        template.get().invokeToken(pod));
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
    for (Pod pod :
        untracked(
            p ->
                function.namespace().equals(p.getMetadata().getNamespace())
                    && function
                        .name()
                        .equals(
                            p.getMetadata().getLabels().get(EnvironmentPodTemplate.FUNCTION)))) {
      Tracked adopted = adopt(pod);
      if (adopted != null) {
        environments.add(environment(pod, function, adopted.ip().join(), adopted));
      }
    }
    return environments;
  }

  /**
   * Pods in the informers' caches that {@code selected} picks and nobody follows yet, not going
   * away.
   */
  private List<Pod> untracked(java.util.function.Predicate<Pod> selected) {
    List<Pod> pods = new ArrayList<>();
    for (SharedIndexInformer<Pod> informer : informers) {
      for (Pod pod : informer.getStore().list()) {
        if (selected.test(pod)
            && !tracked.containsKey(key(pod))
            && pod.getMetadata().getDeletionTimestamp() == null) {
          pods.add(pod);
        }
      }
    }
    return pods;
  }

  /**
   * Follows a previous operator's Pod from now on; null, and the Pod deleted, when it cannot be
   * adopted (no IP, ended): it must not linger.
   */
  private Tracked adopt(Pod pod) {
    String ip = pod.getStatus() == null ? null : pod.getStatus().getPodIP();
    if (ip == null || terminal(pod)) {
      delete(key(pod));
      return null;
    }
    Tracked adopted = track(key(pod));
    adopted.ip().complete(ip);
    return adopted;
  }

  private Environment environment(Pod pod, FunctionConfig function, String ip, Tracked tracked) {
    String generation = pod.getMetadata().getLabels().get(EnvironmentPodTemplate.GENERATION);
    return new Environment(
        pod.getMetadata().getName(),
        function,
        generation == null ? -1 : Long.parseLong(generation),
        URI.create("http://" + ip + ":" + AgentProtocol.INVOKE_PORT),
        tracked.terminated(),
        template.get().invokeToken(pod));
  }

  private Tracked track(String key) {
    return tracked.computeIfAbsent(
        key, k -> new Tracked(new CompletableFuture<>(), new CompletableFuture<>()));
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
    return informers.stream()
        .map(i -> i.getStore().getByKey(key))
        .filter(java.util.Objects::nonNull)
        .findFirst();
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
