package dev.klambda;

import dev.klambda.auth.AuthMethods;
import dev.klambda.environments.EnvironmentResources;
import dev.klambda.function.SizingPolicy;
import dev.klambda.metering.Billing;
import dev.klambda.pool.PoolSpec;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Map;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** The command line of {@code klambda local}, {@code klambda gateway} and {@code klambda operator}. */
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
    boolean queueAtLimit) {

  /**
   * Who may invoke: the methods of {@code --auth} (none: everyone), the audiences a bearer token
   * must be for, how long API server answers are kept, the replicas' shared key, the audit log;
   * and the token the operator's pollers show the gateway.
   */
  public record Auth(Set<AuthMethods> methods, List<String> tokenAudiences, Duration allowedTtl,
      Duration deniedTtl, Path gatewayKeyFile, boolean auditLog, Path gatewayTokenFile, boolean metricsAuth) {}

  /** The runtime image of this version (built from runtime-image/). */
  public static final String DEFAULT_RUNTIME_IMAGE = "klambda/runtime:0.1.0";

  private static final String SERVING = """
        --port N                    gateway port (default 8080)
        --metrics-port N            Prometheus /metrics port (default 9090)
        --bind ADDRESS              address to listen on (default %s)
        --region NAME               region in ARNs and AWS_REGION (default us-east-1)
        --queue-timeout-seconds N   how long an invocation waits for an environment before 429 (default 10)
        --async-retry-delay-seconds N
                                    wait before retrying a failed Event invocation (default 60; the
                                    second retry waits twice as long)
        --concurrency-limit N       environments per function without reservedConcurrency (default 1000)
        --queue-at-limit true|false at a function's concurrency limit, wait in the queue (up to
                                    --queue-timeout-seconds) instead of Lambda's immediate 429, for
                                    functions that do not set spec.queueAtLimit (default false)
        --usage-interval-seconds N  how often usage is written down (default 15; also at shutdown)
        --billing-granularity-ms N  billed duration is rounded up to a multiple of this (default 1)
        --bill-init true|false      bill the Init of cold starts, as AWS does since 2025 (default true)
        --price-per-gb-second P     default 0.0000166667 (AWS x86 list price, USD)
        --price-per-million-requests P
                                    default 0.20
        --warm-pool [NAMESPACE/]RUNTIME/MEMORY_MB=SIZE,...
                                    keep SIZE started, generic environments of that runtime and
                                    memory (namespace default: the default namespace) for cold
                                    starts to claim: one function each, for life (default: none)
        --audit-log true|false      a log line per invocation: caller, function, status (default false)
      """;

  private static final String CLUSTER = """
        --namespaces A,B            namespaces to serve (default: all)
        --metrics-auth none|kubernetes
                                    kubernetes: /metrics only for a bearer token whose user RBAC
                                    lets get the non-resource URL /metrics (TokenReview and
                                    SubjectAccessReview, as kube-rbac-proxy); default none
        --default-namespace NAME    namespace of a FunctionName without one (default 'default')
        --min-memory-mb N           sizing policy: smallest memoryMB (default 128)
        --max-memory-mb N           sizing policy: largest memoryMB (default 3008)
        --memory-step-mb N          sizing policy: memoryMB steps (default 64)
        --mb-per-vcpu N             sizing policy: memory per full vCPU (default 1792)
      """;

  public static final String LOCAL_USAGE = """
      usage: klambda local [options] FILE_OR_DIR...
        Serves the Functions in the given manifests (folders are scanned for *.yaml / *.yml) over
        the AWS Lambda Invoke API; environments are local processes.
      """ + SERVING.formatted("127.0.0.1") + """
        --work-dir DIR              where code and /tmp of environments go (default: a new temp folder)
        --usage-file FILE           the usage ledger (default ~/.klambda/usage.json)
        --auth none|sigv4           none (default): anyone who reaches the loopback invokes; sigv4:
                                    requests must be signed with an access key from a Secret of
                                    type klambda.dev/access-key in the manifests, and a key invokes
                                    the functions of its Secret's namespace
      """;

  public static final String GATEWAY_USAGE = """
      usage: klambda gateway [options]
        The data plane: serves the Invoke API and function URLs of the cluster's Functions and runs
        their environments as Pods. Run as many replicas as traffic needs: each routes its share of
        the functions and forwards the others' invocations to the replica that routes them.
      """ + SERVING.formatted("0.0.0.0") + CLUSTER + """
        --runtime-image IMAGE       image of environments (default %s)
        --cpu-limit proportional|none
                                    the function container's CPU limit: its memory-based share, as
                                    Lambda (default), or none (the share is its request only and
                                    idle CPU of the node is used beyond it)
        --agent-cpu-millis N        CPU request of each environment's agent container (default %d)
        --agent-cpu-limit-millis N  its CPU limit, 0 for none (default %d)
        --agent-memory-mb N         its memory request and limit (default %d)
        --init-cpu-boost-millis N   the function container's CPU limit until its first Init ends,
                                    when above its share; then resized in place to the share
                                    (Kubernetes 1.33+, RBAC on pods/resize). 0: no boost (default)
        --identity NAME             this replica's name among the gateways (default: $HOSTNAME)
        --advertise-url URL         where the other replicas reach this one
                                    (default http://$POD_IP:PORT)
        --lease-namespace NAME      namespace of the replicas' Leases (default: the pod's)
        --auth kubernetes,sigv4|none
                                    how callers authenticate: bearer tokens by TokenReview and/or
                                    AWS SigV4 with access keys from Secrets of type
                                    klambda.dev/access-key; RBAC (verb invoke on
                                    functions.klambda.dev) decides. none: anyone (logged as a
                                    warning). Default kubernetes,sigv4
        --token-audiences A,B       a bearer token must be for one of these (default klambda;
                                    '' for the API server's own audience)
        --auth-cache-seconds N      how long an allowed decision or token is kept (default 60)
        --auth-denied-cache-seconds N
                                    how long a refused one is kept (default 10)
        --gateway-key-file FILE     the key the replicas share, which proves a forwarded invocation
                                    and an event's copy come from a replica (required unless
                                    --auth none; the chart mounts it from a Secret)
      """.formatted(DEFAULT_RUNTIME_IMAGE, EnvironmentResources.DEFAULT_AGENT_CPU_REQUEST_MILLIS,
          EnvironmentResources.DEFAULT_AGENT_CPU_LIMIT_MILLIS, EnvironmentResources.DEFAULT_AGENT_MEMORY_MB);

  public static final String OPERATOR_USAGE = """
      usage: klambda operator [options]
        The control plane: reconciles Functions and EventSourceMappings (status, code ConfigMaps)
        and runs the event source pollers, which invoke through the gateway.
        --metrics-port N            Prometheus /metrics port (default 9090)
        --bind ADDRESS              address to listen on (default 0.0.0.0)
        --region NAME               region in ARNs of event sources (default us-east-1)
        --queue-timeout-seconds N   how long a batch waits at the gateway for an environment (default 10)
      """ + CLUSTER + """
        --gateway-url URL           where the gateway is reached: status.invokeUrl, and the pollers'
                                    invocations (default http://klambda-gateway.<pod namespace>.svc:8080)
        --leader-election true|false
                                    one active replica among several: the leader reconciles, polls
                                    event sources and reports ready; the others wait (default false)
        --lease-namespace NAME      namespace of the Lease 'klambda-operator' (default: the pod's)
        --gateway-token-file FILE   a bearer token the pollers show the gateway, re-read every
                                    minute (the chart projects the ServiceAccount's token for the
                                    gateway's audience); default: none, for a gateway with --auth none
      """;

  private enum Mode { LOCAL, GATEWAY, OPERATOR }

  private static final Set<Mode> ALL = EnumSet.allOf(Mode.class);
  private static final Set<Mode> SERVES = EnumSet.of(Mode.LOCAL, Mode.GATEWAY);
  private static final Set<Mode> IN_CLUSTER = EnumSet.of(Mode.GATEWAY, Mode.OPERATOR);
  private static final Set<Mode> GATEWAY = EnumSet.of(Mode.GATEWAY);
  private static final Set<Mode> OPERATOR = EnumSet.of(Mode.OPERATOR);
  private static final Set<Mode> LOCAL = EnumSet.of(Mode.LOCAL);

  /** Which commands take each option. */
  private static final Map<String, Set<Mode>> OPTIONS = Map.ofEntries(
      Map.entry("--port", SERVES), Map.entry("--metrics-port", ALL), Map.entry("--bind", ALL),
      Map.entry("--region", ALL), Map.entry("--queue-timeout-seconds", ALL),
      Map.entry("--async-retry-delay-seconds", SERVES), Map.entry("--concurrency-limit", SERVES),
      Map.entry("--usage-interval-seconds", SERVES), Map.entry("--billing-granularity-ms", SERVES),
      Map.entry("--bill-init", SERVES), Map.entry("--price-per-gb-second", SERVES),
      Map.entry("--price-per-million-requests", SERVES), Map.entry("--warm-pool", SERVES),
      Map.entry("--work-dir", LOCAL), Map.entry("--usage-file", LOCAL),
      Map.entry("--namespaces", IN_CLUSTER), Map.entry("--default-namespace", IN_CLUSTER),
      Map.entry("--min-memory-mb", IN_CLUSTER), Map.entry("--max-memory-mb", IN_CLUSTER),
      Map.entry("--memory-step-mb", IN_CLUSTER), Map.entry("--mb-per-vcpu", IN_CLUSTER),
      Map.entry("--lease-namespace", IN_CLUSTER),
      Map.entry("--runtime-image", GATEWAY), Map.entry("--cpu-limit", GATEWAY),
      Map.entry("--agent-cpu-millis", GATEWAY), Map.entry("--agent-cpu-limit-millis", GATEWAY),
      Map.entry("--agent-memory-mb", GATEWAY), Map.entry("--init-cpu-boost-millis", GATEWAY),
      Map.entry("--identity", GATEWAY), Map.entry("--advertise-url", GATEWAY),
      Map.entry("--gateway-url", OPERATOR), Map.entry("--leader-election", OPERATOR),
      Map.entry("--auth", SERVES), Map.entry("--audit-log", SERVES), Map.entry("--token-audiences", GATEWAY),
      Map.entry("--auth-cache-seconds", GATEWAY), Map.entry("--auth-denied-cache-seconds", GATEWAY),
      Map.entry("--gateway-key-file", GATEWAY), Map.entry("--gateway-token-file", OPERATOR),
      Map.entry("--metrics-auth", IN_CLUSTER), Map.entry("--queue-at-limit", SERVES));

  public static Options parseLocal(List<String> args) {
    Options options = parse(args, Mode.LOCAL);
    if (options.manifests().isEmpty()) {
      throw new IllegalArgumentException("give at least one manifest file or folder");
    }
    return options;
  }

  public static Options parseOperator(List<String> args) {
    return parse(args, Mode.OPERATOR);
  }

  public static Options parseGateway(List<String> args) {
    return parse(args, Mode.GATEWAY);
  }

  private static Options parse(List<String> args, Mode mode) {
    String bind = mode == Mode.LOCAL ? "127.0.0.1" : "0.0.0.0";
    int port = 8080;
    int metricsPort = 9090;
    String region = "us-east-1";
    int queueTimeout = 10;
    int asyncRetryDelay = 60;
    int concurrencyLimit = 1000;
    Path workDir = null;
    List<Path> manifests = new ArrayList<>();
    Set<String> namespaces = new LinkedHashSet<>();
    String defaultNamespace = "default";
    int minMemory = SizingPolicy.DEFAULT.minMemoryMB();
    int maxMemory = SizingPolicy.DEFAULT.maxMemoryMB();
    int step = SizingPolicy.DEFAULT.stepMB();
    int perVcpu = SizingPolicy.DEFAULT.mbPerVcpu();
    EnvironmentResources.CpuLimit cpuLimit = EnvironmentResources.CpuLimit.PROPORTIONAL;
    int agentCpu = EnvironmentResources.DEFAULT_AGENT_CPU_REQUEST_MILLIS;
    int agentCpuLimit = EnvironmentResources.DEFAULT_AGENT_CPU_LIMIT_MILLIS;
    int agentMemory = EnvironmentResources.DEFAULT_AGENT_MEMORY_MB;
    int initCpuBoost = 0;
    String runtimeImage = DEFAULT_RUNTIME_IMAGE;
    String gatewayUrl = null;
    long granularity = Billing.AWS.granularityMillis();
    boolean billInit = Billing.AWS.billInit();
    BigDecimal pricePerGbSecond = Billing.AWS.pricePerGbSecond();
    BigDecimal pricePerMillionRequests = Billing.AWS.pricePerMillionRequests();
    int usageInterval = 15;
    Path usageFile = Path.of(System.getProperty("user.home"), ".klambda", "usage.json");
    boolean leaderElection = false;
    String leaseNamespace = null;
    String warmPools = "";
    String identity = System.getenv().getOrDefault("HOSTNAME", "gateway");
    String advertiseUrl = null;
    Set<AuthMethods> auth = mode == Mode.LOCAL ? Set.of() : EnumSet.allOf(AuthMethods.class);
    List<String> audiences = List.of("klambda");
    int allowedTtl = 60;
    int deniedTtl = 10;
    Path gatewayKeyFile = null;
    boolean auditLog = false;
    Path gatewayTokenFile = null;
    boolean metricsAuth = false;
    boolean queueAtLimit = false;
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (!arg.startsWith("--")) {
        if (mode != Mode.LOCAL) {
          throw new IllegalArgumentException("unexpected argument " + arg);
        }
        manifests.add(Path.of(arg));
        continue;
      }
      if (!OPTIONS.getOrDefault(arg, Set.of()).contains(mode)) {
        throw new IllegalArgumentException("unknown option " + arg);
      }
      if (i + 1 >= args.size()) {
        throw new IllegalArgumentException(arg + " needs a value");
      }
      String value = args.get(++i);
      switch (arg) {
        case "--port" -> port = number(arg, value, 0, 65535);
        case "--metrics-port" -> metricsPort = number(arg, value, 0, 65535);
        case "--bind" -> bind = value;
        case "--region" -> region = value;
        case "--queue-timeout-seconds" ->
            queueTimeout = number(arg, value, 0, 900);
        case "--async-retry-delay-seconds" ->
            asyncRetryDelay = number(arg, value, 0, 3600);
        case "--concurrency-limit" ->
            concurrencyLimit = number(arg, value, 1, 100_000);
        case "--work-dir" -> workDir = Path.of(value);
        case "--usage-file" -> usageFile = Path.of(value);
        case "--usage-interval-seconds" ->
            usageInterval = number(arg, value, 1, 3600);
        case "--billing-granularity-ms" ->
            granularity = number(arg, value, 1, 3_600_000);
        case "--bill-init" -> billInit = bool(arg, value);
        case "--price-per-gb-second" -> pricePerGbSecond = price(arg, value);
        case "--price-per-million-requests" ->
            pricePerMillionRequests = price(arg, value);
        case "--warm-pool" -> warmPools = value;
        case "--namespaces" -> Arrays.stream(value.split(",")).map(String::trim)
            .filter(s -> !s.isEmpty()).forEach(namespaces::add);
        case "--default-namespace" -> defaultNamespace = value;
        case "--runtime-image" -> runtimeImage = value;
        case "--gateway-url" -> gatewayUrl = value;
        case "--min-memory-mb" -> minMemory = number(arg, value, 1, 1 << 20);
        case "--max-memory-mb" -> maxMemory = number(arg, value, 1, 1 << 20);
        case "--memory-step-mb" -> step = number(arg, value, 1, 1 << 20);
        case "--mb-per-vcpu" -> perVcpu = number(arg, value, 1, 1 << 20);
        case "--cpu-limit" -> cpuLimit = EnvironmentResources.CpuLimit.parse(arg, value);
        case "--agent-cpu-millis" -> agentCpu = number(arg, value, 1, 64_000);
        case "--agent-cpu-limit-millis" -> agentCpuLimit = number(arg, value, 0, 64_000);
        case "--agent-memory-mb" -> agentMemory = number(arg, value, 32, 1 << 16);
        case "--init-cpu-boost-millis" -> initCpuBoost = number(arg, value, 0, 64_000);
        case "--leader-election" -> leaderElection = bool(arg, value);
        case "--lease-namespace" -> leaseNamespace = value;
        case "--identity" -> identity = value;
        case "--advertise-url" -> advertiseUrl = value;
        case "--auth" -> auth = AuthMethods.parse(arg, value);
        case "--audit-log" -> auditLog = bool(arg, value);
        case "--token-audiences" -> audiences = Arrays.stream(value.split(",")).map(String::trim)
            .filter(a -> !a.isEmpty()).toList();
        case "--auth-cache-seconds" -> allowedTtl = number(arg, value, 0, 3600);
        case "--auth-denied-cache-seconds" -> deniedTtl = number(arg, value, 0, 3600);
        case "--gateway-key-file" -> gatewayKeyFile = Path.of(value);
        case "--gateway-token-file" -> gatewayTokenFile = Path.of(value);
        case "--queue-at-limit" -> queueAtLimit = bool(arg, value);
        case "--metrics-auth" -> metricsAuth = switch (value) {
          case "none" -> false;
          case "kubernetes" -> true;
          default -> throw new IllegalArgumentException(arg + " must be none or kubernetes (got '" + value + "')");
        };
        default -> throw new IllegalStateException("option " + arg + " is listed but not parsed");
      }
    }
    if (agentCpuLimit > 0 && agentCpuLimit < agentCpu) {
      throw new IllegalArgumentException("--agent-cpu-limit-millis must be 0 or at least --agent-cpu-millis ("
          + agentCpu + "), got " + agentCpuLimit);
    }
    if (mode == Mode.LOCAL && auth.contains(AuthMethods.KUBERNETES)) {
      throw new IllegalArgumentException("--auth: local mode has no Kubernetes API server to review tokens; "
          + "use sigv4 or none");
    }
    if (mode == Mode.GATEWAY && !auth.isEmpty() && gatewayKeyFile == null) {
      throw new IllegalArgumentException("--gateway-key-file is required with --auth "
          + AuthMethods.describe(auth) + ": the replicas prove forwarded requests with it "
          + "(the chart mounts Secret klambda-gateway-key)");
    }
    SizingPolicy sizing = new SizingPolicy(minMemory, maxMemory, step, perVcpu);
    List<PoolSpec> pools = PoolSpec.parseAll("--warm-pool", warmPools, defaultNamespace, sizing);
    for (PoolSpec pool : pools) {
      if (!namespaces.isEmpty() && !namespaces.contains(pool.namespace())) {
        throw new IllegalArgumentException("--warm-pool: namespace '" + pool.namespace()
            + "' of pool " + pool.name() + " must be one of --namespaces " + String.join(",", namespaces));
      }
    }
    return new Options(bind, port, metricsPort, region, Duration.ofSeconds(queueTimeout),
        Duration.ofSeconds(asyncRetryDelay), concurrencyLimit, workDir, List.copyOf(manifests),
        Set.copyOf(namespaces), defaultNamespace, sizing,
        new EnvironmentResources(sizing, cpuLimit, agentCpu, agentCpuLimit, agentMemory, initCpuBoost),
        runtimeImage, gatewayUrl,
        new Billing(granularity, billInit, pricePerGbSecond, pricePerMillionRequests),
        Duration.ofSeconds(usageInterval), usageFile, leaderElection, leaseNamespace,
        pools, identity, advertiseUrl, new Auth(Set.copyOf(auth), audiences, Duration.ofSeconds(allowedTtl),
            Duration.ofSeconds(deniedTtl), gatewayKeyFile, auditLog, gatewayTokenFile, metricsAuth), queueAtLimit);
  }

  private static boolean bool(String option, String value) {
    return switch (value) {
      case "true" -> true;
      case "false" -> false;
      default -> throw new IllegalArgumentException(option + " must be true or false (got '" + value + "')");
    };
  }

  private static BigDecimal price(String option, String value) {
    try {
      BigDecimal price = new BigDecimal(value);
      if (price.signum() >= 0) {
        return price;
      }
    } catch (NumberFormatException ignored) {
      // reported below
    }
    throw new IllegalArgumentException(option + " must be a decimal number of at least 0 (got '" + value + "')");
  }

  private static int number(String option, String value, int min, int max) {
    try {
      int n = Integer.parseInt(value);
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException ignored) {
      // reported below
    }
    throw new IllegalArgumentException(option + " must be a number from " + min + " to " + max + " (got '" + value + "')");
  }
}
