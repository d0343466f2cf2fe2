package dev.klambda.local;

import dev.klambda.auth.AccessKey;
import dev.klambda.auth.AccessKeys;
import dev.klambda.auth.InvokeGuard;
import dev.klambda.auth.MetricsReaders;
import dev.klambda.auth.PeerKey;
import dev.klambda.auth.Permissions;
import dev.klambda.auth.SigV4;
import dev.klambda.cli.Commands;
import dev.klambda.cli.Options;
import dev.klambda.dataplane.DataPlane;
import dev.klambda.environments.AgentDistribution;
import dev.klambda.environments.LocalProcessEnvironmentManager;
import dev.klambda.eventsources.EventSourceManager;
import dev.klambda.eventsources.MappingConfig;
import dev.klambda.function.FunctionConfig;
import dev.klambda.function.FunctionValidator;
import dev.klambda.function.InvokePath;
import dev.klambda.function.SizingPolicy;
import dev.klambda.gateway.Gateway;
import dev.klambda.metering.FileUsageStore;
import dev.klambda.routing.EventJournal;
import dev.klambda.routing.FunctionRegistry;
import dev.klambda.routing.Ownership;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * {@code klambda local}: the gateway and routing of a cluster, with environments as local
 * processes, serving the Functions of manifest files. No cluster needed. The data plane is the
 * gateway's ({@link DataPlane}); this mode brings the manifests, the processes, the usage file and
 * the event source pollers, which invoke in-process.
 */
public final class LocalMode implements AutoCloseable {
  private final DataPlane plane;
  private final EventSourceManager eventSources;
  private final Path usageFile;
  private final List<FunctionConfig> functions;
  private final List<MappingConfig> mappings;
  private final Duration shutdownGrace;

  /** Whether requests must be signed (--auth sigv4): the printed aws line says so. */
  private final boolean signed;

  private final String region;

  private LocalMode(
      DataPlane plane,
      EventSourceManager eventSources,
      Path usageFile,
      ManifestLoader.Result loaded,
      Duration shutdownGrace,
      boolean signed,
      String region) {
    this.plane = plane;
    this.eventSources = eventSources;
    this.usageFile = usageFile;
    this.functions = loaded.functions();
    this.mappings = loaded.mappings();
    this.shutdownGrace = shutdownGrace;
    this.signed = signed;
    this.region = region;
  }

  /** Loads the manifests and starts serving; errors in manifests are printed to {@code err}. */
  public static LocalMode start(Options options, PrintStream out, PrintStream err)
      throws IOException {
    ManifestLoader.Result loaded =
        new ManifestLoader(new FunctionValidator(SizingPolicy.DEFAULT)).load(options.manifests());
    loaded.errors().forEach(e -> err.println("klambda: skipped " + e));
    if (loaded.functions().isEmpty()) {
      throw new IOException("no valid Function in " + options.manifests());
    }
    AgentDistribution agent = AgentDistribution.locate(System.getenv("KLAMBDA_AGENT_HOME"));
    Path workDir =
        options.workDir() != null
            ? Files.createDirectories(options.workDir())
            : Files.createTempDirectory("klambda-local-");
    FileUsageStore usageStore = new FileUsageStore(options.usageFile(), options.billing());
    usageStore.load();
    DataPlane plane =
        DataPlane.assemble(
            options,
            new DataPlane.Parts<>(
                agentClient ->
                    new LocalProcessEnvironmentManager(
                        agent,
                        workDir,
                        options.region(),
                        options.billing().rule(),
                        agentClient,
                        out),
                DataPlane.AtExit.STOP_ENVIRONMENTS,
                Ownership.ALONE,
                PeerKey.random(),
                EventJournal.IN_MEMORY,
                loaded.secretSource(),
                guard(options, loaded, err),
                usageStore,
                MetricsReaders.anyone()));
    loaded.functions().forEach(plane.registry()::deploy);
    plane.pool().start();
    plane.readyWhen(() -> true); // one process: ready as soon as it listens
    plane.listen();
    Duration longest =
        loaded.functions().stream()
            .map(f -> f.timeout().plus(f.initTimeout()))
            .max(Duration::compareTo)
            .orElse(Duration.ZERO);
    EventSourceManager eventSources =
        EventSourceManager.through(
            plane.registry(),
            plane.async(),
            options.queueTimeout(),
            options.region(),
            plane.metrics().mappings(),
            loaded.secretSource());
    for (MappingConfig mapping : loaded.mappings()) {
      try {
        Duration timeout =
            loaded.functions().stream()
                .filter(f -> f.key().equals(mapping.functionKey()))
                .findFirst()
                .orElseThrow()
                .timeout(); // the loader kept only mappings whose function it has
        eventSources.apply(mapping, timeout);
      } catch (EventSourceManager.CannotStartException e) {
        err.println(
            "klambda: skipped event source mapping " + mapping.key() + ": " + e.getMessage());
      }
    }
    return new LocalMode(
        plane,
        eventSources,
        options.usageFile(),
        loaded,
        longest.plus(options.queueTimeout()).plusSeconds(2),
        !options.auth().methods().isEmpty(),
        options.region());
  }

  /**
   * Local mode has no RBAC: an access key of the manifests invokes the functions of its namespace.
   */
  private static InvokeGuard guard(Options options, ManifestLoader.Result loaded, PrintStream err) {
    if (options.auth().methods().isEmpty()) {
      return InvokeGuard.open();
    }
    if (loaded.accessKeys().isEmpty()) {
      err.println(
          "klambda: --auth sigv4: the manifests hold no Secret of type "
              + AccessKey.SECRET_TYPE
              + ": no request can be signed");
    }
    return new InvokeGuard(
        options.auth().methods(),
        new SigV4(AccessKeys.of(loaded.accessKeys()), options.region(), Clock.systemUTC()),
        null,
        Permissions.sameNamespace());
  }

  public Gateway gateway() {
    return plane.gateway();
  }

  public FunctionRegistry registry() {
    return plane.registry();
  }

  /** Where Prometheus scrapes, e.g. {@code http://127.0.0.1:9090/metrics}. */
  public String metricsUrl() {
    return plane.metricsUrl();
  }

  /** Each function's invoke URL and ready-to-paste {@code curl} and {@code aws} lines. */
  void printFunctions(PrintStream out) {
    String base = plane.gateway().baseUrl();
    out.println("klambda local: serving " + functions.size() + " function(s) on " + base);
    for (FunctionConfig f : functions) {
      String cliName = f.namespace().equals("default") ? f.name() : f.namespace() + "/" + f.name();
      String url = base + InvokePath.of(cliName);
      out.println();
      out.println(
          "  "
              + f.key()
              + "  ("
              + f.runtime()
              + ", "
              + f.memoryMB()
              + " MB, timeout "
              + f.timeout().toSeconds()
              + " s)");
      out.println("    invoke URL: " + url);
      out.println("    curl -s -X POST '" + url + "' -d '{\"hello\":\"world\"}'");
      // fileb:// is raw bytes in the CLI v1 and v2 alike (v2 reads a --payload string as base64)
      out.println(
          "    echo '{\"hello\":\"world\"}' | aws lambda invoke --endpoint-url "
              + base
              + (signed ? "" : " --no-sign-request")
              + " --region "
              + region
              + " --function-name "
              + cliName
              + " --payload fileb:///dev/stdin /dev/stdout"
              + (signed
                  ? "   (AWS_ACCESS_KEY_ID and "
                      + "AWS_SECRET_ACCESS_KEY of an access key in the manifests)"
                  : ""));
      if (f.url() != null) {
        out.println(
            "    function URL: " + base + f.urlPath() + "   (curl -s " + base + f.urlPath() + ")");
      }
    }
    for (MappingConfig mapping : mappings) {
      out.println();
      out.println(
          "  event source mapping "
              + mapping.key()
              + " -> "
              + mapping.functionKey()
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
    plane.drain(shutdownGrace);
    plane.close();
  }

  /** Serves until Ctrl-C or SIGTERM, then closes in order; 1 when it cannot start. */
  public static int run(Options options, PrintStream out, PrintStream err) {
    LocalMode local;
    try {
      local = start(options, out, err);
    } catch (IOException e) {
      err.println("klambda local: " + e.getMessage());
      return 1;
    }
    local.printFunctions(out);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  out.println("klambda: stopping (in-flight invocations finish first)");
                  local.close();
                  out.println("klambda: stopped");
                },
                "klambda-shutdown"));
    return Commands.waitForShutdown();
  }
}
