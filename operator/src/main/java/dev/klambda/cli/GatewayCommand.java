package dev.klambda.cli;

import dev.klambda.auth.AuthMethods;
import dev.klambda.environments.EnvironmentResources;
import dev.klambda.function.SizingPolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "gateway",
    description = {
      "The data plane: serves the Invoke API and function URLs of "
          + "the cluster's Functions and runs their environments as Pods. Run as many replicas as traffic needs: each "
          + "routes its share of the functions and forwards the others' invocations to the replica that routes them."
    })
final class GatewayCommand implements KlambdaCommand.ModeCommand {
  static final int AUTH_CACHE_SECONDS = 60;
  static final int AUTH_DENIED_CACHE_SECONDS = 10;

  @Mixin CommonFlags common;
  @Mixin ServingFlags serving;
  @Mixin ClusterFlags cluster;

  @Option(
      names = "--bind",
      paramLabel = "ADDRESS",
      defaultValue = "0.0.0.0",
      description = "address to listen on (default ${DEFAULT-VALUE})")
  String bind;

  @Option(
      names = "--runtime-image",
      paramLabel = "IMAGE",
      defaultValue = Options.DEFAULT_RUNTIME_IMAGE,
      description = "image of environments (default ${DEFAULT-VALUE})")
  String runtimeImage;

  @Option(
      names = "--cpu-limit",
      paramLabel = "proportional|none",
      defaultValue = "proportional",
      description =
          "the function container's CPU limit: its memory-based share, as Lambda (default), or none "
              + "(the share is its request only and idle CPU of the node is used beyond it)")
  String cpuLimit;

  @Option(
      names = "--agent-cpu-millis",
      paramLabel = "N",
      defaultValue = "" + EnvironmentResources.DEFAULT_AGENT_CPU_REQUEST_MILLIS,
      description = "CPU request of each environment's agent container (default ${DEFAULT-VALUE})")
  int agentCpuMillis;

  @Option(
      names = "--agent-cpu-limit-millis",
      paramLabel = "N",
      defaultValue = "" + EnvironmentResources.DEFAULT_AGENT_CPU_LIMIT_MILLIS,
      description = "its CPU limit, 0 for none (default ${DEFAULT-VALUE})")
  int agentCpuLimitMillis;

  @Option(
      names = "--agent-memory-mb",
      paramLabel = "N",
      defaultValue = "" + EnvironmentResources.DEFAULT_AGENT_MEMORY_MB,
      description = "its memory request and limit (default ${DEFAULT-VALUE})")
  int agentMemoryMB;

  @Option(
      names = "--init-cpu-boost-millis",
      paramLabel = "N",
      defaultValue = "0",
      description =
          "the function container's CPU limit until its first Init ends, when above its share; then "
              + "resized in place to the share (Kubernetes 1.33+, RBAC on pods/resize). 0: no boost (default)")
  int initCpuBoostMillis;

  @Option(
      names = "--identity",
      paramLabel = "NAME",
      defaultValue = "${env:HOSTNAME:-gateway}",
      description = "this replica's name among the gateways (default: $HOSTNAME)")
  String identity;

  @Option(
      names = "--advertise-url",
      paramLabel = "URL",
      description = "where the other replicas reach this one (default http://$POD_IP:PORT)")
  String advertiseUrl;

  @Option(
      names = "--auth",
      paramLabel = "kubernetes,sigv4|none",
      defaultValue = "kubernetes,sigv4",
      description =
          "how callers authenticate: bearer tokens by TokenReview and/or AWS SigV4 with access keys "
              + "from Secrets of type klambda.dev/access-key; RBAC (verb invoke on functions.klambda.dev) decides. "
              + "none: anyone (logged as a warning). Default ${DEFAULT-VALUE}")
  String auth;

  @Option(
      names = "--token-audiences",
      paramLabel = "A,B",
      defaultValue = "klambda",
      description =
          "a bearer token must be for one of these (default ${DEFAULT-VALUE}; '' for the API "
              + "server's own audience)")
  String tokenAudiences;

  @Option(
      names = "--auth-cache-seconds",
      paramLabel = "N",
      defaultValue = "" + AUTH_CACHE_SECONDS,
      description = "how long an allowed decision or token is kept (default ${DEFAULT-VALUE})")
  int authCacheSeconds;

  @Option(
      names = "--auth-denied-cache-seconds",
      paramLabel = "N",
      defaultValue = "" + AUTH_DENIED_CACHE_SECONDS,
      description = "how long a refused one is kept (default ${DEFAULT-VALUE})")
  int authDeniedCacheSeconds;

  @Option(
      names = "--gateway-key-file",
      paramLabel = "FILE",
      description =
          "the key the replicas share, which proves a forwarded invocation and an event's copy come "
              + "from a replica (required unless --auth none; the chart mounts it from a Secret)")
  Path gatewayKeyFile;

  @Override
  public Options toOptions() {
    common.check();
    serving.check();
    Flags.range("--agent-cpu-millis", agentCpuMillis, 1, 64_000);
    Flags.range("--agent-cpu-limit-millis", agentCpuLimitMillis, 0, 64_000);
    Flags.range("--agent-memory-mb", agentMemoryMB, 32, 1 << 16);
    Flags.range("--init-cpu-boost-millis", initCpuBoostMillis, 0, 64_000);
    Flags.range("--auth-cache-seconds", authCacheSeconds, 0, 3600);
    Flags.range("--auth-denied-cache-seconds", authDeniedCacheSeconds, 0, 3600);
    if (agentCpuLimitMillis > 0 && agentCpuLimitMillis < agentCpuMillis) {
      throw new IllegalArgumentException(
          "--agent-cpu-limit-millis must be 0 or at least --agent-cpu-millis ("
              + agentCpuMillis
              + "), got "
              + agentCpuLimitMillis);
    }
    Set<AuthMethods> methods = AuthMethods.parse("--auth", auth);
    if (!methods.isEmpty() && gatewayKeyFile == null) {
      throw new IllegalArgumentException(
          "--gateway-key-file is required with --auth "
              + AuthMethods.describe(methods)
              + ": the replicas prove forwarded requests with it "
              + "(the chart mounts Secret klambda-gateway-key)");
    }
    SizingPolicy sizing = cluster.sizing();
    EnvironmentResources resources =
        new EnvironmentResources(
            sizing,
            EnvironmentResources.CpuLimit.parse("--cpu-limit", cpuLimit),
            agentCpuMillis,
            agentCpuLimitMillis,
            agentMemoryMB,
            initCpuBoostMillis);
    List<String> audiences =
        List.of(tokenAudiences.split(",")).stream()
            .map(String::trim)
            .filter(a -> !a.isEmpty())
            .toList();
    return new Options.Builder(bind, common)
        .serving(
            serving,
            Options.warmPools(serving, cluster.defaultNamespace, sizing, cluster.namespaces()))
        .cluster(cluster, sizing)
        .gateway(resources, runtimeImage, identity, advertiseUrl)
        .auth(
            new Options.Auth(
                Set.copyOf(methods),
                audiences,
                Duration.ofSeconds(authCacheSeconds),
                Duration.ofSeconds(authDeniedCacheSeconds),
                gatewayKeyFile,
                serving.auditLog,
                null,
                cluster.metricsAuth()))
        .build();
  }
}
