package dev.klambda.membership;

import dev.klambda.informers.LatestState;
import dev.klambda.routing.Ownership;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway replicas that serve now, and which of them routes each function. Each replica holds a
 * Lease of its own ({@code klambda-gateway-<identity>}, labelled {@value #LABEL}, its URL in
 * {@value #URL_ANNOTATION}) and renews it; every replica watches them all. A Lease counts while it
 * was renewed within its duration by this replica's clock (the time its renewal was <em>seen</em>,
 * as client-go's leader election does, so clocks need not agree). A function is routed by the
 * member with the highest hash of (member, function): rendezvous hashing, so a replica that joins
 * or leaves moves only the functions it gains or had, and every replica that sees the same members
 * names the same owner.
 */
public final class GatewayMembers implements Ownership, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(GatewayMembers.class);
  public static final String LABEL = "klambda.dev/gateway-member";
  public static final String URL_ANNOTATION = "klambda.dev/url";
  public static final String LEASE_PREFIX = "klambda-gateway-";

  /** A replica that serves: its identity and where other replicas reach its gateway. */
  public record Member(String identity, URI url) {}

  private record Seen(String renewTime, long seenNanos, int durationSeconds, Member member) {}

  private final KubernetesClient client;
  private final String namespace;
  private final String identity;
  private volatile URI url;
  private final Duration duration;
  private final Duration renewEvery;
  private final LongSupplier nanoTime;
  private final Runnable changed;
  private final Map<String, Seen> seen = new ConcurrentHashMap<>();
  private final Map<String, URI> owners = new ConcurrentHashMap<>();
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          Thread.ofPlatform().daemon().name("gateway-members").factory());
  private final SharedIndexInformer<Lease> informer;
  private volatile List<Member> members = List.of();
  private volatile boolean leaving;

  /**
   * @param duration how long a replica counts after its last renewal (it renews every {@code
   *     renewEvery})
   * @param changed told (on one thread) whenever the members change, so routing can follow
   */
  public GatewayMembers(
      KubernetesClient client,
      String namespace,
      String identity,
      Duration duration,
      Duration renewEvery,
      LongSupplier nanoTime,
      Runnable changed) {
    this.client = client;
    this.namespace = namespace;
    this.identity = identity;
    this.duration = duration;
    this.renewEvery = renewEvery;
    this.nanoTime = nanoTime;
    this.changed = changed;
    this.informer =
        client
            .leases()
            .inNamespace(namespace)
            .withLabel(LABEL, "true")
            .inform(
                LatestState.of(
                    this::observed,
                    lease -> {
                      seen.remove(lease.getMetadata().getName());
                      timer.execute(this::evaluate);
                    }));
  }

  /** Takes part from now on, reached at {@code url}: the Lease is created and renewed. */
  public void join(URI url) {
    this.url = url;
    renew();
    long every = renewEvery.toMillis();
    timer.scheduleWithFixedDelay(this::renewQuietly, every, every, TimeUnit.MILLISECONDS);
    timer.scheduleWithFixedDelay(this::evaluate, every / 2, every / 2, TimeUnit.MILLISECONDS);
  }

  /**
   * Takes no new function from now on and gives up those it routes (its Lease goes, so the others
   * take them over at once). When no other replica serves, this one keeps routing everything.
   */
  public void leave() {
    leaving = true;
    try {
      timer
          .submit(
              () -> {
                try {
                  client.leases().inNamespace(namespace).withName(leaseName()).delete();
                } catch (KubernetesClientException e) {
                  LOG.warn(
                      "gateway {}: cannot delete its Lease; the others take over when it expires",
                      identity,
                      e);
                }
                evaluate();
              })
          .get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.warn("gateway {}: leaving did not complete", identity, e);
    }
  }

  /** Whether this replica's own Lease is among the members it sees: it takes its share of work. */
  public boolean joined() {
    return serves(identity);
  }

  public List<Member> members() {
    return members;
  }

  @Override
  public String self() {
    return identity;
  }

  @Override
  public int replicas() {
    return Math.max(1, members.size());
  }

  @Override
  public URI urlOf(String replica) {
    return members.stream()
        .filter(m -> m.identity().equals(replica))
        .map(Member::url)
        .findFirst()
        .orElse(null);
  }

  /** Whether the replica {@code replica} is among the members. */
  @Override
  public boolean serves(String replica) {
    return members.stream().anyMatch(m -> m.identity().equals(replica));
  }

  /**
   * The other members in the order they are chosen for {@code key} (rendezvous hashing again, so
   * the copies of one replica's events spread over the others).
   */
  public List<Member> peersFor(String key) {
    return members.stream()
        .filter(m -> !m.identity().equals(identity))
        .sorted(
            Comparator.comparing((Member m) -> hash(m.identity(), key), Long::compareUnsigned)
                .reversed()
                .thenComparing(Member::identity))
        .toList();
  }

  @Override
  public URI ownerOf(String key) {
    URI owner = owners.get(key);
    if (owner == null) {
      owner = owners.computeIfAbsent(key, this::computeOwner);
    }
    return owner == SELF ? null : owner;
  }

  /** Marks "this replica" in the owner cache, which cannot hold null. */
  private static final URI SELF = URI.create("klambda:self");

  private URI computeOwner(String key) {
    List<Member> view = members;
    Member best = null;
    long bestHash = 0;
    for (Member member : view) {
      long hash = hash(member.identity(), key);
      if (best == null || Long.compareUnsigned(hash, bestHash) > 0) {
        best = member;
        bestHash = hash;
      }
    }
    return best == null || best.identity().equals(identity) ? SELF : best.url();
  }

  /** FNV-1a over both names, then SplitMix64's finaliser so near names spread. */
  static long hash(String member, String key) {
    long h = 0xcbf29ce484222325L;
    for (byte b : (member + '\n' + key).getBytes(StandardCharsets.UTF_8)) {
      h = (h ^ (b & 0xff)) * 0x100000001b3L;
    }
    h = (h ^ (h >>> 30)) * 0xbf58476d1ce4e5b9L;
    h = (h ^ (h >>> 27)) * 0x94d049bb133111ebL;
    return h ^ (h >>> 31);
  }

  private void observed(Lease lease) {
    String url =
        lease.getMetadata().getAnnotations() == null
            ? null
            : lease.getMetadata().getAnnotations().get(URL_ANNOTATION);
    if (url == null || lease.getSpec() == null || lease.getSpec().getHolderIdentity() == null) {
      return;
    }
    String renewTime = String.valueOf(lease.getSpec().getRenewTime());
    Seen before = seen.get(lease.getMetadata().getName());
    if (before == null || !before.renewTime().equals(renewTime)) {
      int seconds =
          lease.getSpec().getLeaseDurationSeconds() == null
              ? (int) duration.toSeconds()
              : lease.getSpec().getLeaseDurationSeconds();
      seen.put(
          lease.getMetadata().getName(),
          new Seen(
              renewTime,
              nanoTime.getAsLong(),
              seconds,
              new Member(lease.getSpec().getHolderIdentity(), URI.create(url))));
    }
    if (before == null) {
      timer.execute(this::evaluate);
    }
  }

  /** The members now: Leases renewed within their duration, less this replica once it leaves. */
  private void evaluate() {
    long now = nanoTime.getAsLong();
    List<Member> live =
        seen.values().stream()
            .filter(s -> now - s.seenNanos() < TimeUnit.SECONDS.toNanos(s.durationSeconds()))
            .map(Seen::member)
            .filter(m -> !(leaving && m.identity().equals(identity)))
            .sorted(Comparator.comparing(Member::identity))
            .toList();
    if (!live.equals(members)) {
      LOG.info(
          "gateway {}: serving replicas now {}",
          identity,
          live.stream().map(Member::identity).toList());
      members = live;
      owners.clear();
      try {
        changed.run();
      } catch (RuntimeException e) {
        LOG.error("gateway {}: following the new members failed", identity, e);
      }
    }
  }

  private void renewQuietly() {
    try {
      renew();
    } catch (RuntimeException e) {
      LOG.warn("gateway {}: cannot renew its Lease (retried in {})", identity, renewEvery, e);
    }
  }

  private void renew() {
    if (leaving || url == null) {
      return;
    }
    ZonedDateTime now = ZonedDateTime.now(java.time.ZoneOffset.UTC).truncatedTo(ChronoUnit.MICROS);
    Lease lease =
        new LeaseBuilder()
            .withNewMetadata()
            .withName(leaseName())
            .withNamespace(namespace)
            .addToLabels(LABEL, "true")
            .addToLabels("app.kubernetes.io/managed-by", "klambda")
            .addToAnnotations(URL_ANNOTATION, url.toString())
            .endMetadata()
            .withNewSpec()
            .withHolderIdentity(identity)
            .withLeaseDurationSeconds((int) duration.toSeconds())
            .withRenewTime(now)
            .endSpec()
            .build();
    client.leases().inNamespace(namespace).resource(lease).createOr(existing -> existing.patch());
  }

  private String leaseName() {
    return LEASE_PREFIX + identity;
  }

  @Override
  public void close() {
    timer.shutdownNow();
    informer.close();
  }
}
