package dev.klambda.local;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The command line of {@code klambda local}. */
record LocalOptions(
    String bind,
    int port,
    int metricsPort,
    String region,
    Duration queueTimeout,
    Duration asyncRetryDelay,
    int concurrencyLimit,
    Path workDir,
    List<Path> manifests) {

  static final String USAGE = """
      usage: klambda local [options] FILE_OR_DIR...
        Serves the Functions in the given manifests (folders are scanned for *.yaml / *.yml) over
        the AWS Lambda Invoke API; environments are local processes.
        --port N                    gateway port (default 8080)
        --metrics-port N            Prometheus /metrics port (default 9090)
        --bind ADDRESS              address to listen on (default 127.0.0.1)
        --region NAME               region in ARNs and AWS_REGION (default us-east-1)
        --queue-timeout-seconds N   how long an invocation waits for an environment before 429 (default 10)
        --async-retry-delay-seconds N
                                    wait before retrying a failed Event invocation (default 60; the
                                    second retry waits twice as long)
        --concurrency-limit N       environments per function without reservedConcurrency (default 1000)
        --work-dir DIR              where code and /tmp of environments go (default: a new temp folder)
      """;

  static LocalOptions parse(List<String> args) {
    String bind = "127.0.0.1";
    int port = 8080;
    int metricsPort = 9090;
    String region = "us-east-1";
    int queueTimeout = 10;
    int asyncRetryDelay = 60;
    int concurrencyLimit = 1000;
    Path workDir = null;
    List<Path> manifests = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (!arg.startsWith("--")) {
        manifests.add(Path.of(arg));
        continue;
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
        case "--queue-timeout-seconds" -> queueTimeout = number(arg, value, 0, 900);
        case "--async-retry-delay-seconds" -> asyncRetryDelay = number(arg, value, 0, 3600);
        case "--concurrency-limit" -> concurrencyLimit = number(arg, value, 1, 100_000);
        case "--work-dir" -> workDir = Path.of(value);
        default -> throw new IllegalArgumentException("unknown option " + arg);
      }
    }
    if (manifests.isEmpty()) {
      throw new IllegalArgumentException("give at least one manifest file or folder");
    }
    return new LocalOptions(bind, port, metricsPort, region, Duration.ofSeconds(queueTimeout),
        Duration.ofSeconds(asyncRetryDelay), concurrencyLimit, workDir, List.copyOf(manifests));
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
