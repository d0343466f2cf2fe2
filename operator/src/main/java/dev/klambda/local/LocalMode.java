package dev.klambda.local;

import dev.klambda.auth.AccessKey;
import dev.klambda.auth.AccessKeys;
import dev.klambda.auth.InvokeGuard;
import dev.klambda.auth.PeerKey;
import dev.klambda.auth.Permissions;
import dev.klambda.auth.SigV4;
import dev.klambda.cli.Commands;
import dev.klambda.cli.Options;
import dev.klambda.destinations.DestinationClients;
import dev.klambda.environments.AgentClient;
import dev.klambda.eventsources.EventSourceManager;
import dev.klambda.eventsources.MappingConfig;
import dev.klambda.environments.AgentDistribution;
import dev.klambda.environments.LocalProcessEnvironmentManager;
import dev.klambda.pool.PooledEnvironmentManager;
import dev.klambda.function.FunctionConfig;
import dev.klambda.function.FunctionValidator;
import dev.klambda.function.SizingPolicy;
import dev.klambda.gateway.AsyncInvoker;
import dev.klambda.gateway.EventJournal;
import dev.klambda.gateway.FunctionRegistry;
import dev.klambda.gateway.Gateway;
import dev.klambda.gateway.Ownership;
import dev.klambda.logging.Logging;
import dev.klambda.metering.FileUsageStore;
import dev.klambda.metering.Metering;
import dev.klambda.operations.OperationsServer;
import dev.klambda.metering.UsageLedger;
import dev.klambda.metering.UsageRollup;
import dev.klambda.metering.PrometheusMetrics;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * {@code klambda local}: the gateway and routing of a cluster, with environments as local
 * processes, serving the Functions of manifest files. No cluster needed.
 */
public final class LocalMode implements AutoCloseable {
  /** Lambda keeps an event for up to six hours. */
  private static final Duration MAX_EVENT_AGE = Duration.ofHours(6);

  private final Gateway gateway;
  private final FunctionRegistry registry;
  private final EventSourceManager eventSources;
  private final OperationsServer metricsServer;
  private final UsageRollup usage;
  private final java.nio.file.Path usageFile;
  private final List<FunctionConfig> functions;
  private final List<MappingConfig> mappings;
  private final Duration shutdownGrace;
  /** Whether requests must be signed (--auth sigv4): the printed aws line says so. */
  private final boolean signed;
  private final String region;
  private final DestinationClients destinations;

  private LocalMode(Gateway gateway, FunctionRegistry registry, EventSourceManager eventSources,
      OperationsServer metricsServer,
      UsageRollup usage, java.nio.file.Path usageFile, ManifestLoader.Result loaded, Duration shutdownGrace,
      boolean signed, String region, DestinationClients destinations) {
    this.signed = signed;
    this.region = region;
    this.usage = usage;
    this.usageFile = usageFile;
    this.gateway = gateway;
    this.registry = registry;
    this.eventSources = eventSources;
    this.metricsServer = metricsServer;
    this.functions = loaded.functions();
    this.mappings = loaded.mappings();
    this.shutdownGrace = shutdownGrace;
    this.destinations = destinations;
  }

  /** Loads the manifests and starts serving; errors in manifests are printed to {@code err}. */
  public static LocalMode start(Options options, PrintStream out, PrintStream err) throws IOException {
    ManifestLoader.Result loaded =
        new ManifestLoader(new FunctionValidator(SizingPolicy.DEFAULT)).load(options.manifests());
    loaded.errors().forEach(e -> err.println("klambda: skipped " + e));
    if (loaded.functions().isEmpty()) {
      throw new IOException("no valid Function in " + options.manifests());
    }
    AgentDistribution agent = AgentDistribution.locate(System.getenv("KLAMBDA_AGENT_HOME"));
    Path workDir = options.workDir() != null
        ? Files.createDirectories(options.workDir())
        : Files.createTempDirectory("klambda-local-");
    PrometheusMetrics metrics = new PrometheusMetrics();
    UsageLedger ledger = new UsageLedger(Clock.systemUTC());
    FileUsageStore usageStore = new FileUsageStore(options.usageFile(), options.billing());
    usageStore.load();
    Metering metering = new Metering(options.billing(), ledger, metrics);
    AgentClient agentClient = new AgentClient(metering);
    PooledEnvironmentManager environments = new PooledEnvironmentManager(
        new LocalProcessEnvironmentManager(agent, workDir, options.region(), options.billing().rule(),
            agentClient, out),
        options.warmPools());
    FunctionRegistry registry = new FunctionRegistry(environments, agentClient, metering, "default",
        options.region(), options.concurrencyLimit(), options.queueAtLimit(), Ownership.ALONE, PeerKey.random());
    loaded.functions().forEach(registry::deploy);
    metrics.watch(registry);
    metrics.watch(environments.pool());
    environments.pool().start();
    OperationsServer metricsServer =
        new OperationsServer(new InetSocketAddress(options.bind(), options.metricsPort()), metrics, () -> true);
    DestinationClients destinations = new DestinationClients(loaded.secretSource(), options.region());
    AsyncInvoker async = new AsyncInvoker(registry, metering, EventJournal.IN_MEMORY, options.asyncRetryDelay(),
        MAX_EVENT_AGE, options.queueTimeout(), destinations);
    Gateway gateway = new Gateway(new InetSocketAddress(options.bind(), options.port()), registry,
        async, options.queueTimeout(), agentClient.eventLoops(), guard(options, loaded, err).observed(metrics.authRefusals(), options.auth().auditLog()),
        PeerKey.random());
    gateway.start();
    metricsServer.start();
    Duration longest = loaded.functions().stream()
        .map(f -> f.timeout().plus(f.initTimeout()))
        .max(Duration::compareTo).orElse(Duration.ZERO);
    EventSourceManager eventSources =
        EventSourceManager.through(registry, async, options.queueTimeout(), options.region(),
            metrics.mappings(), loaded.secretSource());
    for (MappingConfig mapping : loaded.mappings()) {
      try {
        Duration timeout = loaded.functions().stream().filter(f -> f.key().equals(mapping.functionKey()))
            .findFirst().orElseThrow().timeout(); // the loader kept only mappings whose function it has
        eventSources.apply(mapping, timeout);
      } catch (EventSourceManager.CannotStartException e) {
        err.println("klambda: skipped event source mapping " + mapping.key() + ": " + e.getMessage());
      }
    }
    UsageRollup usage = new UsageRollup(ledger, usageStore, options.usageInterval());
    return new LocalMode(gateway, registry, eventSources, metricsServer, usage, options.usageFile(), loaded, longest.plus(options.queueTimeout()).plusSeconds(2),
        !options.auth().methods().isEmpty(), options.region(), destinations);
  }

  /** Local mode has no RBAC: an access key of the manifests invokes the functions of its namespace. */
  private static InvokeGuard guard(Options options, ManifestLoader.Result loaded, PrintStream err) {
    if (options.auth().methods().isEmpty()) {
      return InvokeGuard.open();
    }
    if (loaded.accessKeys().isEmpty()) {
      err.println("klambda: --auth sigv4: the manifests hold no Secret of type " + AccessKey.SECRET_TYPE
          + ": no request can be signed");
    }
    return new InvokeGuard(options.auth().methods(),
        new SigV4(AccessKeys.of(loaded.accessKeys()), options.region(), Clock.systemUTC()), null,
        Permissions.sameNamespace());
  }

  public Gateway gateway() {
    return gateway;
  }

  public FunctionRegistry registry() {
    return registry;
  }

  /** Where Prometheus scrapes, e.g. {@code http://127.0.0.1:9090/metrics}. */
  public String metricsUrl() {
    return metricsServer.url();
  }

  /** Each function's invoke URL and ready-to-paste {@code curl} and {@code aws} lines. */
  void printFunctions(PrintStream out) {
    String base = gateway.baseUrl();
    out.println("klambda local: serving " + functions.size() + " function(s) on " + base);
    for (FunctionConfig f : functions) {
      String name = f.namespace().equals("default") ? f.name() : f.namespace() + "%2F" + f.name();
      String cliName = f.namespace().equals("default") ? f.name() : f.namespace() + "/" + f.name();
      String url = base + "/2015-03-31/functions/" + name + "/invocations";
      out.println();
      out.println("  " + f.key() + "  (" + f.runtime() + ", " + f.memoryMB() + " MB, timeout "
          + f.timeout().toSeconds() + " s)");
      out.println("    invoke URL: " + url);
      out.println("    curl -s -X POST '" + url + "' -d '{\"hello\":\"world\"}'");
      // fileb:// is raw bytes in the CLI v1 and v2 alike (v2 reads a --payload string as base64)
      out.println("    echo '{\"hello\":\"world\"}' | aws lambda invoke --endpoint-url " + base
          + (signed ? "" : " --no-sign-request") + " --region " + region + " --function-name " + cliName
          + " --payload fileb:///dev/stdin /dev/stdout" + (signed ? "   (AWS_ACCESS_KEY_ID and "
          + "AWS_SECRET_ACCESS_KEY of an access key in the manifests)" : ""));
      if (f.url() != null) {
        out.println("    function URL: " + base + f.urlPath() + "   (curl -s " + base + f.urlPath() + ")");
      }
    }
    for (MappingConfig mapping : mappings) {
      out.println();
      out.println("  event source mapping " + mapping.key() + " -> " + mapping.functionKey()
          + (eventSources.isRunning(mapping.key()) ? "" : "  (not running: see above)"));
    }
    out.println();
    out.println("Metrics: " + metricsUrl() + "   usage ledger: " + usageFile);
    out.println("Ctrl-C stops klambda: in-flight invocations finish, environments shut down.");
  }

  /** Stops taking requests, lets in-flight work finish, shuts every environment down. */
  @Override
  public void close() {
    eventSources.close();
    gateway.stop(shutdownGrace);
    destinations.close();
    registry.close();
    usage.close();
    metricsServer.close();
  }

  public static int run(List<String> args, PrintStream out, PrintStream err) {
    Options options;
    try {
      options = Options.parseLocal(args);
    } catch (IllegalArgumentException e) {
      err.println("klambda local: " + e.getMessage());
      err.print(Options.LOCAL_USAGE);
      return 2;
    }
    Logging.use(options.logFormat());
    LocalMode local;
    try {
      local = start(options, out, err);
    } catch (IOException e) {
      err.println("klambda local: " + e.getMessage());
      return 1;
    }
    local.printFunctions(out);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      out.println("klambda: stopping (in-flight invocations finish first)");
      local.close();
      out.println("klambda: stopped");
    }, "klambda-shutdown"));
    return Commands.waitForShutdown();
  }
}
