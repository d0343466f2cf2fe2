package dev.klambda;

import dev.klambda.environments.EnvironmentResources;
import dev.klambda.function.SizingPolicy;
import dev.klambda.metering.Billing;
import dev.klambda.pool.PoolSpec;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** The command line of {@code klambda local} and {@code klambda operator}. */
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
    List<PoolSpec> warmPools) {

  /** The runtime image of this version (built from runtime-image/). */
  public static final String DEFAULT_RUNTIME_IMAGE = "klambda/runtime:0.1.0";

  private static final String COMMON = """
        --port N                    gateway port (default 8080)
        --metrics-port N            Prometheus /metrics port (default 9090)
        --bind ADDRESS              address to listen on (default %s)
        --region NAME               region in ARNs and AWS_REGION (default us-east-1)
        --queue-timeout-seconds N   how long an invocation waits for an environment before 429 (default 10)
        --async-retry-delay-seconds N
                                    wait before retrying a failed Event invocation (default 60; the
                                    second retry waits twice as long)
        --concurrency-limit N       environments per function without reservedConcurrency (default 1000)
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
      """;

  public static final String LOCAL_USAGE = """
      usage: klambda local [options] FILE_OR_DIR...
        Serves the Functions in the given manifests (folders are scanned for *.yaml / *.yml) over
        the AWS Lambda Invoke API; environments are local processes.
      """ + COMMON.formatted("127.0.0.1") + """
        --work-dir DIR              where code and /tmp of environments go (default: a new temp folder)
        --usage-file FILE           the usage ledger (default ~/.klambda/usage.json)
      """;

  public static final String OPERATOR_USAGE = """
      usage: klambda operator [options]
        Runs the controller, the gateway and the environment manager against the cluster of the
        kubeconfig (or the in-cluster configuration); environments are Pods.
      """ + COMMON.formatted("0.0.0.0") + """
        --namespaces A,B            namespaces to serve (default: all)
        --default-namespace NAME    namespace of a FunctionName without one (default 'default')
        --runtime-image IMAGE       image of environments (default %s)
        --gateway-url URL           how clients reach the gateway, for status.invokeUrl
                                    (default http://klambda-gateway.<pod namespace>.svc:PORT)
        --min-memory-mb N           sizing policy: smallest memoryMB (default 128)
        --max-memory-mb N           sizing policy: largest memoryMB (default 3008)
        --memory-step-mb N          sizing policy: memoryMB steps (default 64)
        --mb-per-vcpu N             sizing policy: memory per full vCPU (default 1792)
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
        --leader-election true|false
                                    one active replica among several: the leader reconciles, polls
                                    event sources and reports ready; the others wait (default false)
        --lease-namespace NAME      namespace of the Lease 'klambda-operator' (default: the pod's)
      """.formatted(DEFAULT_RUNTIME_IMAGE, EnvironmentResources.DEFAULT_AGENT_CPU_REQUEST_MILLIS,
          EnvironmentResources.DEFAULT_AGENT_CPU_LIMIT_MILLIS, EnvironmentResources.DEFAULT_AGENT_MEMORY_MB);

  public static Options parseLocal(List<String> args) {
    Options options = parse(args, false);
    if (options.manifests().isEmpty()) {
      throw new IllegalArgumentException("give at least one manifest file or folder");
    }
    return options;
  }

  public static Options parseOperator(List<String> args) {
    return parse(args, true);
  }

  private static Options parse(List<String> args, boolean operator) {
    String bind = operator ? "0.0.0.0" : "127.0.0.1";
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
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (!arg.startsWith("--")) {
        if (operator) {
          throw new IllegalArgumentException("unexpected argument " + arg);
        }
        manifests.add(Path.of(arg));
        continue;
      }
      if (i + 1 >= args.size()) {
        throw new IllegalArgumentException(arg + " needs a value");
      }
      String value = args.get(++i);
      switch (operator ? "operator" + arg : "local" + arg) {
        case "local--port", "operator--port" -> port = number(arg, value, 0, 65535);
        case "local--metrics-port", "operator--metrics-port" -> metricsPort = number(arg, value, 0, 65535);
        case "local--bind", "operator--bind" -> bind = value;
        case "local--region", "operator--region" -> region = value;
        case "local--queue-timeout-seconds", "operator--queue-timeout-seconds" ->
            queueTimeout = number(arg, value, 0, 900);
        case "local--async-retry-delay-seconds", "operator--async-retry-delay-seconds" ->
            asyncRetryDelay = number(arg, value, 0, 3600);
        case "local--concurrency-limit", "operator--concurrency-limit" ->
            concurrencyLimit = number(arg, value, 1, 100_000);
        case "local--work-dir" -> workDir = Path.of(value);
        case "local--usage-file" -> usageFile = Path.of(value);
        case "local--usage-interval-seconds", "operator--usage-interval-seconds" ->
            usageInterval = number(arg, value, 1, 3600);
        case "local--billing-granularity-ms", "operator--billing-granularity-ms" ->
            granularity = number(arg, value, 1, 3_600_000);
        case "local--bill-init", "operator--bill-init" -> billInit = bool(arg, value);
        case "local--price-per-gb-second", "operator--price-per-gb-second" -> pricePerGbSecond = price(arg, value);
        case "local--price-per-million-requests", "operator--price-per-million-requests" ->
            pricePerMillionRequests = price(arg, value);
        case "local--warm-pool", "operator--warm-pool" -> warmPools = value;
        case "operator--namespaces" -> Arrays.stream(value.split(",")).map(String::trim)
            .filter(s -> !s.isEmpty()).forEach(namespaces::add);
        case "operator--default-namespace" -> defaultNamespace = value;
        case "operator--runtime-image" -> runtimeImage = value;
        case "operator--gateway-url" -> gatewayUrl = value;
        case "operator--min-memory-mb" -> minMemory = number(arg, value, 1, 1 << 20);
        case "operator--max-memory-mb" -> maxMemory = number(arg, value, 1, 1 << 20);
        case "operator--memory-step-mb" -> step = number(arg, value, 1, 1 << 20);
        case "operator--mb-per-vcpu" -> perVcpu = number(arg, value, 1, 1 << 20);
        case "operator--cpu-limit" -> cpuLimit = EnvironmentResources.CpuLimit.parse(arg, value);
        case "operator--agent-cpu-millis" -> agentCpu = number(arg, value, 1, 64_000);
        case "operator--agent-cpu-limit-millis" -> agentCpuLimit = number(arg, value, 0, 64_000);
        case "operator--agent-memory-mb" -> agentMemory = number(arg, value, 32, 1 << 16);
        case "operator--init-cpu-boost-millis" -> initCpuBoost = number(arg, value, 0, 64_000);
        case "operator--leader-election" -> leaderElection = bool(arg, value);
        case "operator--lease-namespace" -> leaseNamespace = value;
        default -> throw new IllegalArgumentException("unknown option " + arg);
      }
    }
    if (agentCpuLimit > 0 && agentCpuLimit < agentCpu) {
      throw new IllegalArgumentException("--agent-cpu-limit-millis must be 0 or at least --agent-cpu-millis ("
          + agentCpu + "), got " + agentCpuLimit);
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
        pools);
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
