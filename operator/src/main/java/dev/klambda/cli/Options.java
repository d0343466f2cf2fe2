package dev.klambda.cli;

import dev.klambda.auth.AuthMethods;
import dev.klambda.environments.EnvironmentResources;
import dev.klambda.function.SizingPolicy;
import dev.klambda.logging.LogFormat;
import dev.klambda.metering.Billing;
import dev.klambda.pool.PoolSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import picocli.CommandLine;

/**
 * The command line of {@code klambda local}, {@code klambda gateway} and {@code klambda operator},
 * parsed by picocli from the flags declared (with their defaults and help) on {@link LocalCommand},
 * {@link GatewayCommand} and {@link OperatorCommand}. What a mode does not take keeps a neutral
 * value.
 */
public record Options(
    String bind,
    int port,
    int metricsPort,
    String region,
    Duration queueTimeout,
    Duration asyncRetryDelay,
    int concurrencyLimit,
    Path workDir,
    List<Path> manifests,
    Set<String> namespaces,
    String defaultNamespace,
    SizingPolicy sizing,
    EnvironmentResources environmentResources,
    String runtimeImage,
    String gatewayUrl,
    Billing billing,
    Duration usageInterval,
    Path usageFile,
    boolean leaderElection,
    String leaseNamespace,
    List<PoolSpec> warmPools,
    String identity,
    String advertiseUrl,
    Auth auth,
    boolean queueAtLimit,
    LogFormat logFormat) {

  /**
   * Who may invoke: the methods of {@code --auth} (none: everyone), the audiences a bearer token
   * must be for, how long API server answers are kept, the replicas' shared key, the audit log; and
   * the token the operator's pollers show the gateway.
   */
  public record Auth(
      Set<AuthMethods> methods,
      List<String> tokenAudiences,
      Duration allowedTtl,
      Duration deniedTtl,
      Path gatewayKeyFile,
      boolean auditLog,
      Path gatewayTokenFile,
      boolean metricsAuth) {}

  /** The runtime image of this version (built from agent/). */
  public static final String DEFAULT_RUNTIME_IMAGE = "klambda/runtime:0.1.0";

  public static final String LOCAL_USAGE = KlambdaCommand.line("local").getUsageMessage();
  public static final String GATEWAY_USAGE = KlambdaCommand.line("gateway").getUsageMessage();
  public static final String OPERATOR_USAGE = KlambdaCommand.line("operator").getUsageMessage();

  public static Options parseLocal(List<String> args) {
    return parse("local", args);
  }

  public static Options parseGateway(List<String> args) {
    return parse("gateway", args);
  }

  public static Options parseOperator(List<String> args) {
    return parse("operator", args);
  }

  /**
   * picocli's parse of one command's flags; what it refuses becomes an IllegalArgumentException.
   */
  private static Options parse(String command, List<String> args) {
    CommandLine klambda = KlambdaCommand.line();
    List<String> line = new ArrayList<>(List.of(command));
    line.addAll(args);
    try {
      klambda.parseArgs(line.toArray(String[]::new));
    } catch (CommandLine.ParameterException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    return klambda
        .getSubcommands()
        .get(command)
        .<KlambdaCommand.ModeCommand>getCommand()
        .toOptions();
  }

  /** The parts every command sets, then what its mode adds; the rest stays neutral. */
  static final class Builder {
    private final String bind;
    private final CommonFlags common;
    private ServingFlags serving;
    private Path workDir;
    private List<Path> manifests = List.of();
    private Path usageFile;
    private Set<String> namespaces = Set.of();
    private String defaultNamespace = "default";
    private SizingPolicy sizing = SizingPolicy.DEFAULT;
    private EnvironmentResources resources = EnvironmentResources.defaults(SizingPolicy.DEFAULT);
    private String runtimeImage = DEFAULT_RUNTIME_IMAGE;
    private String gatewayUrl;
    private boolean leaderElection;
    private String leaseNamespace;
    private List<PoolSpec> warmPools = List.of();
    private String identity;
    private String advertiseUrl;
    private Auth auth =
        new Auth(
            Set.of(),
            List.of(),
            Duration.ofSeconds(GatewayCommand.AUTH_CACHE_SECONDS),
            Duration.ofSeconds(GatewayCommand.AUTH_DENIED_CACHE_SECONDS),
            null,
            false,
            null,
            false);

    Builder(String bind, CommonFlags common) {
      this.bind = bind;
      this.common = common;
    }

    Builder serving(ServingFlags serving, List<PoolSpec> warmPools) {
      this.serving = serving;
      this.warmPools = warmPools;
      return this;
    }

    Builder local(Path workDir, List<Path> manifests, Path usageFile) {
      this.workDir = workDir;
      this.manifests = List.copyOf(manifests);
      this.usageFile = usageFile;
      return this;
    }

    Builder cluster(ClusterFlags cluster, SizingPolicy sizing) {
      this.namespaces = cluster.namespaces();
      this.defaultNamespace = cluster.defaultNamespace;
      this.sizing = sizing;
      this.leaseNamespace = cluster.leaseNamespace;
      this.resources = EnvironmentResources.defaults(sizing);
      return this;
    }

    Builder gateway(
        EnvironmentResources resources, String runtimeImage, String identity, String advertiseUrl) {
      this.resources = resources;
      this.runtimeImage = runtimeImage;
      this.identity = identity;
      this.advertiseUrl = advertiseUrl;
      return this;
    }

    Builder operator(String gatewayUrl, boolean leaderElection) {
      this.gatewayUrl = gatewayUrl;
      this.leaderElection = leaderElection;
      return this;
    }

    Builder auth(Set<AuthMethods> methods, boolean auditLog) {
      auth =
          new Auth(
              Set.copyOf(methods),
              auth.tokenAudiences(),
              auth.allowedTtl(),
              auth.deniedTtl(),
              auth.gatewayKeyFile(),
              auditLog,
              auth.gatewayTokenFile(),
              auth.metricsAuth());
      return this;
    }

    Builder auth(Auth auth) {
      this.auth = auth;
      return this;
    }

    /** The operator's: the token its pollers show the gateway, and who may read /metrics. */
    Builder operatorAuth(Path gatewayTokenFile, boolean metricsAuth) {
      auth =
          new Auth(
              auth.methods(),
              auth.tokenAudiences(),
              auth.allowedTtl(),
              auth.deniedTtl(),
              auth.gatewayKeyFile(),
              auth.auditLog(),
              gatewayTokenFile,
              metricsAuth);
      return this;
    }

    Options build() {
      return new Options(
          bind,
          serving == null ? 0 : serving.port,
          common.metricsPort,
          common.region,
          Duration.ofSeconds(common.queueTimeoutSeconds),
          serving == null ? Duration.ZERO : Duration.ofSeconds(serving.asyncRetryDelaySeconds),
          serving == null ? 0 : serving.concurrencyLimit,
          workDir,
          manifests,
          namespaces,
          defaultNamespace,
          sizing,
          resources,
          runtimeImage,
          gatewayUrl,
          serving == null ? Billing.AWS : serving.billing(),
          serving == null ? Duration.ZERO : Duration.ofSeconds(serving.usageIntervalSeconds),
          usageFile,
          leaderElection,
          leaseNamespace,
          warmPools,
          identity,
          advertiseUrl,
          auth,
          serving != null && serving.queueAtLimit,
          common.logFormat());
    }
  }

  /** The warm pools of {@code --warm-pool}, each in a namespace this replica serves. */
  static List<PoolSpec> warmPools(
      ServingFlags serving, String defaultNamespace, SizingPolicy sizing, Set<String> namespaces) {
    List<PoolSpec> pools =
        PoolSpec.parseAll("--warm-pool", serving.warmPools, defaultNamespace, sizing);
    for (PoolSpec pool : pools) {
      if (!namespaces.isEmpty() && !namespaces.contains(pool.namespace())) {
        throw new IllegalArgumentException(
            "--warm-pool: namespace '"
                + pool.namespace()
                + "' of pool "
                + pool.name()
                + " must be one of --namespaces "
                + String.join(",", namespaces));
      }
    }
    return pools;
  }
}
