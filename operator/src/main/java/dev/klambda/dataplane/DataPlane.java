package dev.klambda.dataplane;

import dev.klambda.auth.InvokeGuard;
import dev.klambda.auth.MetricsReaders;
import dev.klambda.auth.PeerKey;
import dev.klambda.cli.Options;
import dev.klambda.destinations.DestinationClients;
import dev.klambda.destinations.SecretSource;
import dev.klambda.environments.AgentClient;
import dev.klambda.environments.EnvironmentManager;
import dev.klambda.gateway.Gateway;
import dev.klambda.metering.Metering;
import dev.klambda.metering.PrometheusMetrics;
import dev.klambda.metering.UsageLedger;
import dev.klambda.metering.UsageRollup;
import dev.klambda.metering.UsageStore;
import dev.klambda.operations.OperationsServer;
import dev.klambda.pool.PoolMembers;
import dev.klambda.pool.PooledEnvironmentManager;
import dev.klambda.pool.WarmPool;
import dev.klambda.routing.AsyncInvoker;
import dev.klambda.routing.EventJournal;
import dev.klambda.routing.FunctionRegistry;
import dev.klambda.routing.Ownership;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * The data plane of one process, assembled the same way for the two modes that serve invocations:
 * {@code klambda local} and each replica of {@code klambda gateway}. It holds what they share
 * (metering and the Prometheus meters, the agents' client, the environments behind their warm
 * pools, the registry of functions, Events and their destinations, the Invoke API, the usage
 * roll-up, the operations port) and the order they start and stop in. What differs comes in the
 * mode's {@link Parts}.
 *
 * <p>A mode assembles it, adds what it needs before requests arrive (local mode deploys its
 * manifests' functions, a gateway replica its event copies' route), {@link #listen()}s, says when
 * it is {@link #readyWhen ready}; at the end it {@link #drain}s, closes its own parts and then
 * {@link #close()}s this.
 */
public final class DataPlane {
  /** Lambda keeps an event for up to six hours. */
  static final Duration MAX_EVENT_AGE = Duration.ofHours(6);

  /** What becomes of the environments when the process stops. */
  public enum AtExit {
    /** Local processes: they stop with klambda. */
    STOP_ENVIRONMENTS,
    /** Pods: they keep running for the next replica to adopt, so a restart costs no cold starts. */
    KEEP_ENVIRONMENTS
  }

  /**
   * What a mode brings.
   *
   * @param environments how an environment is made (local processes or Pods, each able to keep
   *     warm-pool members), given the agents' client
   * @param atExit what becomes of them when the process stops
   * @param ownership which functions this process routes (the others' invocations are forwarded)
   * @param peers the replicas' shared key, which forwarded invocations carry
   * @param journal where an accepted Event is kept until it is done with
   * @param secrets where destinations' credentials are read
   * @param guard who may invoke what (its refusals are counted and, with {@code --audit-log},
   *     logged here)
   * @param usage where the usage ledger is written down
   * @param metricsReaders who may read {@code /metrics}
   */
  public record Parts<M extends EnvironmentManager & PoolMembers>(
      Function<AgentClient, M> environments,
      AtExit atExit,
      Ownership ownership,
      PeerKey peers,
      EventJournal journal,
      SecretSource secrets,
      InvokeGuard guard,
      UsageStore usage,
      MetricsReaders metricsReaders) {}

  private final PrometheusMetrics metrics;
  private final FunctionRegistry registry;
  private final WarmPool pool;
  private final DestinationClients destinations;
  private final AsyncInvoker async;
  private final Gateway gateway;
  private final UsageRollup usage;
  private final OperationsServer operations;
  private final AtExit atExit;

  /** The environments are stopped or let go once: a crash lets them go before the close. */
  private final AtomicBoolean released = new AtomicBoolean();

  /** What {@code /readyz} asks: not ready until the mode says what ready means. */
  private final AtomicReference<BooleanSupplier> ready;

  private DataPlane(
      PrometheusMetrics metrics,
      FunctionRegistry registry,
      WarmPool pool,
      DestinationClients destinations,
      AsyncInvoker async,
      Gateway gateway,
      UsageRollup usage,
      OperationsServer operations,
      AtomicReference<BooleanSupplier> ready,
      AtExit atExit) {
    this.metrics = metrics;
    this.registry = registry;
    this.pool = pool;
    this.destinations = destinations;
    this.async = async;
    this.gateway = gateway;
    this.usage = usage;
    this.operations = operations;
    this.ready = ready;
    this.atExit = atExit;
  }

  /** Builds everything; nothing listens yet and the warm pools are not filled. */
  public static <M extends EnvironmentManager & PoolMembers> DataPlane assemble(
      Options options, Parts<M> parts) throws IOException {
    PrometheusMetrics metrics = new PrometheusMetrics();
    UsageLedger ledger = new UsageLedger(Clock.systemUTC());
    Metering metering = new Metering(options.billing(), ledger, metrics);
    AgentClient agent = new AgentClient(metering);
    PooledEnvironmentManager environments =
        new PooledEnvironmentManager(parts.environments().apply(agent), options.warmPools());
    FunctionRegistry registry =
        new FunctionRegistry(
            environments,
            agent,
            metering,
            options.defaultNamespace(),
            options.region(),
            options.concurrencyLimit(),
            options.queueAtLimit(),
            parts.ownership(),
            parts.peers());
    metrics.watch(registry);
    metrics.watch(environments.pool());
    DestinationClients destinations = new DestinationClients(parts.secrets(), options.region());
    AsyncInvoker async =
        new AsyncInvoker(
            registry,
            metering,
            parts.journal(),
            options.asyncRetryDelay(),
            MAX_EVENT_AGE,
            options.queueTimeout(),
            destinations);
    Gateway gateway =
        new Gateway(
            new InetSocketAddress(options.bind(), options.port()),
            registry,
            async,
            options.queueTimeout(),
            agent.eventLoops(),
            parts.guard().observed(metrics.authRefusals(), options.auth().auditLog()),
            parts.peers());
    UsageRollup usage = new UsageRollup(ledger, parts.usage(), options.usageInterval());
    AtomicReference<BooleanSupplier> ready = new AtomicReference<>(() -> false);
    OperationsServer operations =
        new OperationsServer(
            new InetSocketAddress(options.bind(), options.metricsPort()),
            metrics,
            () -> ready.get().getAsBoolean(),
            parts.metricsReaders());
    return new DataPlane(
        metrics,
        registry,
        environments.pool(),
        destinations,
        async,
        gateway,
        usage,
        operations,
        ready,
        parts.atExit());
  }

  /** The Invoke API takes requests, and the operations port answers (not ready yet). */
  public void listen() throws IOException {
    gateway.start();
    operations.start();
  }

  /** What {@code /readyz} asks from now on. */
  public void readyWhen(BooleanSupplier ready) {
    this.ready.set(ready);
  }

  /** The meters, for those the mode adds (its pollers'). */
  public PrometheusMetrics metrics() {
    return metrics;
  }

  public FunctionRegistry registry() {
    return registry;
  }

  /** The warm pools; the mode decides when this process fills them. */
  public WarmPool pool() {
    return pool;
  }

  public AsyncInvoker async() {
    return async;
  }

  public Gateway gateway() {
    return gateway;
  }

  /** Where Prometheus scrapes, e.g. {@code http://127.0.0.1:9090/metrics}. */
  public String metricsUrl() {
    return operations.url();
  }

  /**
   * Stops taking requests; in-flight ones and accepted Events finish within {@code grace}. Then the
   * destinations' clients close: no Event is left to send a record.
   */
  public void drain(Duration grace) {
    gateway.stop(grace);
    destinations.close();
  }

  /**
   * As a killed process: nothing touches an environment or runs an event from now on (their copies
   * are left to run elsewhere). For tests of what the other replicas do then.
   */
  public void abandon() {
    if (released.compareAndSet(false, true)) {
      registry.abandon();
    }
    async.abandon();
  }

  /**
   * After {@link #drain} and the mode's own parts: the environments are stopped or let go (with
   * them the agents' client, whose settlements may still add usage), then the usage is written down
   * for the last time, then the operations port closes.
   */
  public void close() {
    if (released.compareAndSet(false, true)) {
      switch (atExit) {
        case STOP_ENVIRONMENTS -> registry.close();
        case KEEP_ENVIRONMENTS -> registry.detach();
      }
    }
    usage.close();
    operations.close();
  }
}
