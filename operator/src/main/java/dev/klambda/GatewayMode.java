package dev.klambda;

import dev.klambda.auth.AccessKeys;
import dev.klambda.auth.AuthMethods;
import dev.klambda.auth.BearerTokens;
import dev.klambda.auth.InvokeGuard;
import dev.klambda.auth.PeerKey;
import dev.klambda.auth.RbacPermissions;
import dev.klambda.auth.SecretAccessKeys;
import dev.klambda.auth.SigV4;
import dev.klambda.cli.Options;
import dev.klambda.destinations.ClusterSecrets;
import dev.klambda.destinations.DestinationClients;
import dev.klambda.environments.AgentClient;
import dev.klambda.environments.EnvironmentPodTemplate;
import dev.klambda.environments.PodEnvironmentManager;
import dev.klambda.function.FunctionValidator;
import dev.klambda.gateway.AsyncInvoker;
import dev.klambda.gateway.FunctionRegistry;
import dev.klambda.gateway.Gateway;
import dev.klambda.membership.EventCopies;
import dev.klambda.membership.EventCopyApi;
import dev.klambda.membership.GatewayMembers;
import dev.klambda.membership.PeerEventJournal;
import dev.klambda.metering.Metering;
import dev.klambda.operations.OperationsServer;
import dev.klambda.metering.PrometheusMetrics;
import dev.klambda.metering.StatusUsageStore;
import dev.klambda.metering.UsageLedger;
import dev.klambda.metering.UsageRollup;
import dev.klambda.observer.EnvironmentCountsWriter;
import dev.klambda.observer.FunctionCatalog;
import dev.klambda.pool.PooledEnvironmentManager;
import dev.klambda.pool.WarmPool;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code klambda gateway}: one replica of the data plane, wired by hand. It serves every Function
 * (the Invoke API, function URLs, Events), routes the functions it owns among the serving replicas
 * ({@link GatewayMembers}) and forwards the others' invocations; its environments are Pods. Run as
 * many replicas as traffic needs; none leads.
 */
public final class GatewayMode implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(GatewayMode.class);
  /** Lambda keeps an event for up to six hours. */
  private static final Duration MAX_EVENT_AGE = Duration.ofHours(6);
  /** Scheduling and image pulls, on top of a function's Init. */
  private static final Duration POD_START_ALLOWANCE = Duration.ofMinutes(2);
  private static final Duration STATUS_REFRESH = Duration.ofSeconds(10);
  /** The longest a Function that cannot be served keeps a new replica from reporting ready. */
  private static final Duration LOAD_GRACE = Duration.ofSeconds(30);
  /** A replica that stops renewing its Lease is taken out this long after its last renewal. */
  public static final Duration MEMBER_DURATION = Duration.ofSeconds(5);
  private static final Duration MEMBER_RENEW = Duration.ofSeconds(1);
  /** The pools are kept by one replica: the one that owns this key. */
  private static final String POOL_KEEPER_KEY = "klambda/warm-pools";
  private static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(30);

  private final Gateway gateway;
  private final FunctionRegistry registry;
  private final GatewayMembers members;
  private final FunctionCatalog catalog;
  private final AsyncInvoker async;
  private final PeerEventJournal journal;
  private final EventCopies copies;
  private final WarmPool pool;
  private final UsageRollup usage;
  private final EnvironmentCountsWriter counts;
  private final OperationsServer metricsServer;
  private final AtomicBoolean leaving;
  private final SecretAccessKeys accessKeys;
  private final DestinationClients destinations;

  private GatewayMode(Gateway gateway, FunctionRegistry registry, GatewayMembers members, FunctionCatalog catalog,
      AsyncInvoker async, PeerEventJournal journal, EventCopies copies, WarmPool pool, UsageRollup usage,
      EnvironmentCountsWriter counts, OperationsServer metricsServer, AtomicBoolean leaving,
      SecretAccessKeys accessKeys, DestinationClients destinations) {
    this.gateway = gateway;
    this.registry = registry;
    this.members = members;
    this.catalog = catalog;
    this.async = async;
    this.journal = journal;
    this.copies = copies;
    this.pool = pool;
    this.usage = usage;
    this.counts = counts;
    this.metricsServer = metricsServer;
    this.leaving = leaving;
    this.accessKeys = accessKeys;
    this.destinations = destinations;
  }

  public static GatewayMode start(Options options, KubernetesClient client) throws IOException {
    return start(options, client, MEMBER_DURATION, MEMBER_RENEW);
  }

  /**
   * @param memberDuration how long a replica that stopped renewing its Lease keeps its functions
   */
  public static GatewayMode start(Options options, KubernetesClient client, Duration memberDuration,
      Duration memberRenew) throws IOException {
    PeerKey peers = peerKey(options.auth());
    PrometheusMetrics metrics = new PrometheusMetrics();
    UsageLedger ledger = new UsageLedger(Clock.systemUTC());
    Metering metering = new Metering(options.billing(), ledger, metrics);
    AgentClient agent = new AgentClient(metering);
    PooledEnvironmentManager environments = new PooledEnvironmentManager(
        new PodEnvironmentManager(client, options.namespaces(),
            new EnvironmentPodTemplate(options.runtimeImage(), options.environmentResources(), options.region(),
                peers, options.billing().rule()),
            agent, POD_START_ALLOWANCE),
        options.warmPools());
    WarmPool pool = environments.pool();

    // the members are watched first, so no function is taken for this replica's alone while others serve
    AtomicReference<Runnable> followMembers = new AtomicReference<>(() -> { });
    String leaseNamespace = options.leaseNamespace() != null ? options.leaseNamespace() : client.getNamespace();
    GatewayMembers members = new GatewayMembers(client, leaseNamespace, options.identity(), memberDuration,
        memberRenew, System::nanoTime, () -> followMembers.get().run());
    FunctionRegistry registry = new FunctionRegistry(environments, agent, metering, options.defaultNamespace(),
        options.region(), options.concurrencyLimit(), options.queueAtLimit(), members, peers);
    metrics.watch(registry);
    metrics.watch(pool);
    PeerEventJournal journal = new PeerEventJournal(members, memberRenew, peers);
    DestinationClients destinations = new DestinationClients(new ClusterSecrets(client), options.region());
    AsyncInvoker async = new AsyncInvoker(registry, metering, journal, options.asyncRetryDelay(), MAX_EVENT_AGE,
        options.queueTimeout(), destinations);
    EventCopies copies = new EventCopies(members, async, memberDuration, System::nanoTime);
    SecretAccessKeys accessKeys = options.auth().methods().contains(AuthMethods.SIGV4)
        ? new SecretAccessKeys(client, options.namespaces()) : null;
    Gateway gateway = new Gateway(new InetSocketAddress(options.bind(), options.port()), registry, async,
        options.queueTimeout(), agent.eventLoops(),
        guard(options, client, accessKeys).observed(metrics.authRefusals(), options.auth().auditLog()), peers);
    gateway.serve(EventCopyApi.PATH, new EventCopyApi(copies, peers));
    AtomicBoolean keepsPools = new AtomicBoolean();
    followMembers.set(() -> {
      registry.rebalance();
      boolean keeper = members.ownerOf(POOL_KEEPER_KEY) == null;
      if (keeper && keepsPools.compareAndSet(false, true)) {
        LOG.info("gateway {}: keeps the warm pools", options.identity());
        Thread.ofVirtual().name("warm-pool").start(pool::start);
      } else if (!keeper && keepsPools.compareAndSet(true, false)) {
        LOG.info("gateway {}: no longer keeps the warm pools", options.identity());
        pool.suspend();
      }
    });
    gateway.start();
    members.join(URI.create(options.advertiseUrl() != null ? options.advertiseUrl() : advertised(options, gateway)));
    FunctionCatalog catalog = new FunctionCatalog(client, options.namespaces(),
        FunctionValidator.forCluster(options.sizing()), registry, LOAD_GRACE);
    AtomicBoolean leaving = new AtomicBoolean();
    OperationsServer metricsServer = new OperationsServer(new InetSocketAddress(options.bind(), options.metricsPort()),
        metrics, () -> !leaving.get() && members.joined() && catalog.loaded(), InCluster.metricsReaders(options, client));
    metricsServer.start();
    UsageRollup usage = new UsageRollup(ledger, new StatusUsageStore(client, options.billing()),
        options.usageInterval());
    EnvironmentCountsWriter counts = new EnvironmentCountsWriter(client, registry, STATUS_REFRESH);
    return new GatewayMode(gateway, registry, members, catalog, async, journal, copies, pool, usage, counts,
        metricsServer, leaving, accessKeys, destinations);
  }

  private static PeerKey peerKey(Options.Auth auth) throws IOException {
    if (auth.gatewayKeyFile() == null) {
      return PeerKey.trusting(); // only with --auth none (Options requires the file otherwise)
    }
    try {
      return PeerKey.of(Files.readString(auth.gatewayKeyFile()));
    } catch (IllegalArgumentException e) {
      throw new IOException("--gateway-key-file " + auth.gatewayKeyFile() + ": " + e.getMessage(), e);
    }
  }

  /** Who may invoke: RBAC decides for bearer tokens and access keys alike. */
  private static InvokeGuard guard(Options options, KubernetesClient client, AccessKeys accessKeys) {
    Options.Auth auth = options.auth();
    if (auth.methods().isEmpty()) {
      LOG.warn("gateway {}: --auth none: anyone who reaches the gateway may invoke every function",
          options.identity());
      return InvokeGuard.open();
    }
    LOG.info("gateway {}: callers authenticate by {}; RBAC decides (verb invoke on functions.klambda.dev)",
        options.identity(), AuthMethods.describe(auth.methods()));
    return new InvokeGuard(auth.methods(),
        accessKeys == null ? null : new SigV4(accessKeys, options.region(), Clock.systemUTC()),
        new BearerTokens(client, auth.tokenAudiences(), auth.allowedTtl(), auth.deniedTtl()),
        new RbacPermissions(client, auth.allowedTtl(), auth.deniedTtl()));
  }

  /** {@code http://$POD_IP:port} in a Pod; the bound address elsewhere (tests, a laptop). */
  private static String advertised(Options options, Gateway gateway) {
    String podIp = System.getenv("POD_IP");
    String host = podIp != null && !podIp.isBlank() ? podIp : gateway.address().getHostString();
    return "http://" + host + ":" + gateway.address().getPort();
  }

  public Gateway gateway() {
    return gateway;
  }

  public FunctionRegistry registry() {
    return registry;
  }

  public GatewayMembers members() {
    return members;
  }

  /** Where a Pod's readiness probe asks whether this replica serves. */
  public String readinessUrl() {
    return metricsServer.url().replaceFirst("/metrics$", "/readyz");
  }

  public String metricsUrl() {
    return metricsServer.url();
  }

  /**
   * Leaves without losing accepted work: readiness fails (the Service stops sending requests), the
   * Lease goes (the other replicas take over this one's functions and adopt their environments at
   * once), requests waiting here go to the new owners, events waiting for a retry are handed over,
   * in-flight invocations finish, and the keepers of this replica's event copies hear which events
   * are done (those still running at the end of the grace period are run from their copies).
   * Environments keep running for the new owners.
   */
  @Override
  public void close() {
    leaving.set(true);
    members.leave();
    async.handOver();
    gateway.stop(SHUTDOWN_GRACE);
    destinations.close();
    journal.flushAndClose();
    copies.close();
    usage.close();
    counts.close();
    catalog.close();
    pool.close();
    members.close();
    registry.detach();
    metricsServer.close();
    if (accessKeys != null) {
      accessKeys.close();
    }
  }

  /**
   * Dies as a killed process would: nothing is handed over and the Lease stays until it expires.
   * For tests of what the other replicas do then.
   */
  public void crash() {
    members.close();
    registry.detach(); // first: nothing of this replica touches an environment any more
    async.abandon();
    journal.close();
    copies.close();
    gateway.stop(Duration.ZERO);
    destinations.close();
    usage.close();
    counts.close();
    catalog.close();
    pool.close();
    metricsServer.close();
    if (accessKeys != null) {
      accessKeys.close();
    }
  }

  static int run(List<String> args, PrintStream err) {
    return InCluster.run("gateway", args, Options::parseGateway, Options.GATEWAY_USAGE, GatewayMode::start,
        (options, running) -> "klambda gateway " + options.identity() + ": serving on " + running.gateway().baseUrl(), err);
  }
}
