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
import dev.klambda.dataplane.DataPlane;
import dev.klambda.destinations.ClusterSecrets;
import dev.klambda.environments.EnvironmentPodTemplate;
import dev.klambda.environments.PodEnvironmentManager;
import dev.klambda.function.FunctionValidator;
import dev.klambda.gateway.Gateway;
import dev.klambda.membership.EventCopies;
import dev.klambda.membership.EventCopyApi;
import dev.klambda.membership.GatewayMembers;
import dev.klambda.membership.LoanApi;
import dev.klambda.membership.PeerEventJournal;
import dev.klambda.metering.StatusUsageStore;
import dev.klambda.observer.EnvironmentCountsWriter;
import dev.klambda.observer.FunctionCatalog;
import dev.klambda.routing.FunctionRegistry;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code klambda gateway}: one replica of the data plane ({@link DataPlane}). It serves every
 * Function (the Invoke API, function URLs, Events), routes the functions it owns among the serving
 * replicas ({@link GatewayMembers}) and forwards the others' invocations; its environments are
 * Pods. This mode brings the cluster's parts: the Functions from an informer, the membership and
 * the event copies at other replicas, access keys from Secrets, usage in {@code status.usage}. Run
 * as many replicas as traffic needs; none leads.
 */
public final class GatewayMode implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(GatewayMode.class);

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

  private final DataPlane plane;
  private final GatewayMembers members;
  private final FunctionCatalog catalog;
  private final PeerEventJournal journal;
  private final EventCopies copies;
  private final EnvironmentCountsWriter counts;
  private final AtomicBoolean leaving;
  private final SecretAccessKeys accessKeys;

  private GatewayMode(
      DataPlane plane,
      GatewayMembers members,
      FunctionCatalog catalog,
      PeerEventJournal journal,
      EventCopies copies,
      EnvironmentCountsWriter counts,
      AtomicBoolean leaving,
      SecretAccessKeys accessKeys) {
    this.plane = plane;
    this.members = members;
    this.catalog = catalog;
    this.journal = journal;
    this.copies = copies;
    this.counts = counts;
    this.leaving = leaving;
    this.accessKeys = accessKeys;
  }

  public static GatewayMode start(Options options, KubernetesClient client) throws IOException {
    return start(options, client, MEMBER_DURATION, MEMBER_RENEW);
  }

  /**
   * @param memberDuration how long a replica that stopped renewing its Lease keeps its functions
   */
  public static GatewayMode start(
      Options options, KubernetesClient client, Duration memberDuration, Duration memberRenew)
      throws IOException {
    PeerKey peers = peerKey(options.auth());
    // the members are watched first, so no function is taken for this replica's alone while others
    // serve
    AtomicReference<Runnable> followMembers = new AtomicReference<>(() -> {});
    String leaseNamespace =
        options.leaseNamespace() != null ? options.leaseNamespace() : client.getNamespace();
    GatewayMembers members =
        new GatewayMembers(
            client,
            leaseNamespace,
            options.identity(),
            memberDuration,
            memberRenew,
            System::nanoTime,
            () -> followMembers.get().run());
    PeerEventJournal journal = new PeerEventJournal(members, memberRenew, peers);
    SecretAccessKeys accessKeys =
        options.auth().methods().contains(AuthMethods.SIGV4)
            ? new SecretAccessKeys(client, options.namespaces())
            : null;
    DataPlane plane =
        DataPlane.assemble(
            options,
            new DataPlane.Parts<>(
                agent ->
                    new PodEnvironmentManager(
                        client,
                        options.namespaces(),
                        new EnvironmentPodTemplate(
                            options.runtimeImage(),
                            options.environmentResources(),
                            options.region(),
                            peers,
                            options.billing().rule()),
                        agent,
                        POD_START_ALLOWANCE),
                DataPlane.AtExit.KEEP_ENVIRONMENTS,
                members,
                peers,
                journal,
                new ClusterSecrets(client),
                guard(options, client, accessKeys),
                new StatusUsageStore(client, options.billing()),
                InCluster.metricsReaders(options, client)));
    EventCopies copies = new EventCopies(members, plane.async(), memberDuration, System::nanoTime);
    plane.gateway().serve(EventCopyApi.PATH, new EventCopyApi(copies, peers));
    plane.gateway().serve(LoanApi.PATH, new LoanApi(plane.registry(), peers));
    AtomicBoolean keepsPools = new AtomicBoolean();
    followMembers.set(
        () -> {
          plane.registry().rebalance();
          boolean keeper = members.ownerOf(POOL_KEEPER_KEY) == null;
          if (keeper && keepsPools.compareAndSet(false, true)) {
            LOG.info("gateway {}: keeps the warm pools", options.identity());
            Thread.ofVirtual().name("warm-pool").start(plane.pool()::start);
          } else if (!keeper && keepsPools.compareAndSet(true, false)) {
            LOG.info("gateway {}: no longer keeps the warm pools", options.identity());
            plane.pool().suspend();
          }
        });
    plane.listen();
    members.join(
        URI.create(
            options.advertiseUrl() != null ? options.advertiseUrl() : advertised(plane.gateway())));
    FunctionCatalog catalog =
        new FunctionCatalog(
            client,
            options.namespaces(),
            FunctionValidator.forCluster(options.sizing()),
            plane.registry(),
            LOAD_GRACE);
    AtomicBoolean leaving = new AtomicBoolean();
    plane.readyWhen(() -> !leaving.get() && members.joined() && catalog.loaded());
    EnvironmentCountsWriter counts =
        new EnvironmentCountsWriter(client, plane.registry(), STATUS_REFRESH);
    return new GatewayMode(plane, members, catalog, journal, copies, counts, leaving, accessKeys);
  }

  private static PeerKey peerKey(Options.Auth auth) throws IOException {
    if (auth.gatewayKeyFile() == null) {
      return PeerKey.trusting(); // only with --auth none (Options requires the file otherwise)
    }
    try {
      return PeerKey.of(Files.readString(auth.gatewayKeyFile()));
    } catch (IllegalArgumentException e) {
      throw new IOException(
          "--gateway-key-file " + auth.gatewayKeyFile() + ": " + e.getMessage(), e);
    }
  }

  /** Who may invoke: RBAC decides for bearer tokens and access keys alike. */
  private static InvokeGuard guard(
      Options options, KubernetesClient client, AccessKeys accessKeys) {
    Options.Auth auth = options.auth();
    if (auth.methods().isEmpty()) {
      LOG.warn(
          "gateway {}: --auth none: anyone who reaches the gateway may invoke every function",
          options.identity());
      return InvokeGuard.open();
    }
    LOG.info(
        "gateway {}: callers authenticate by {}; RBAC decides (verb invoke on functions.klambda.dev)",
        options.identity(),
        AuthMethods.describe(auth.methods()));
    return new InvokeGuard(
        auth.methods(),
        accessKeys == null ? null : new SigV4(accessKeys, options.region(), Clock.systemUTC()),
        new BearerTokens(client, auth.tokenAudiences(), auth.allowedTtl(), auth.deniedTtl()),
        new RbacPermissions(client, auth.allowedTtl(), auth.deniedTtl()));
  }

  /** {@code http://$POD_IP:port} in a Pod; the bound address elsewhere (tests, a laptop). */
  private static String advertised(Gateway gateway) {
    String podIp = System.getenv("POD_IP");
    String host = podIp != null && !podIp.isBlank() ? podIp : gateway.address().getHostString();
    return "http://" + host + ":" + gateway.address().getPort();
  }

  public Gateway gateway() {
    return plane.gateway();
  }

  public FunctionRegistry registry() {
    return plane.registry();
  }

  public GatewayMembers members() {
    return members;
  }

  /** Where a Pod's readiness probe asks whether this replica serves. */
  public String readinessUrl() {
    return plane.metricsUrl().replaceFirst("/metrics$", "/readyz");
  }

  public String metricsUrl() {
    return plane.metricsUrl();
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
    plane.async().handOver();
    plane.drain(SHUTDOWN_GRACE);
    journal.flushAndClose();
    copies.close();
    counts.close();
    catalog.close();
    plane.pool().close();
    members.close();
    plane.close();
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
    plane.abandon(); // first: nothing of this replica touches an environment any more
    journal.close();
    copies.close();
    plane.drain(Duration.ZERO);
    counts.close();
    catalog.close();
    plane.pool().close();
    plane.close();
    if (accessKeys != null) {
      accessKeys.close();
    }
  }

  static int run(Options options, PrintStream out, PrintStream err) {
    return InCluster.run(
        "gateway",
        options,
        GatewayMode::start,
        running ->
            "klambda gateway "
                + options.identity()
                + ": serving on "
                + running.gateway().baseUrl());
  }
}
