package dev.klambda.cli;

import dev.klambda.logging.LogFormat;
import picocli.CommandLine.Option;

/** What every command takes. */
final class CommonFlags {
  /** Anywhere among the flags; not listed, since the usage it prints is the list. */
  @Option(names = "--help", usageHelp = true, hidden = true)
  boolean help;

  @Option(
      names = "--metrics-port",
      paramLabel = "N",
      defaultValue = "9090",
      description = "Prometheus /metrics port (default ${DEFAULT-VALUE})")
  int metricsPort;

  @Option(
      names = "--region",
      paramLabel = "NAME",
      defaultValue = "us-east-1",
      description = "region in ARNs and AWS_REGION (default ${DEFAULT-VALUE})")
  String region;

  @Option(
      names = "--queue-timeout-seconds",
      paramLabel = "N",
      defaultValue = "10",
      description =
          "how long an invocation waits for an environment before 429 (default ${DEFAULT-VALUE})")
  int queueTimeoutSeconds;

  @Option(
      names = "--log-format",
      paramLabel = "plain|json",
      defaultValue = "plain",
      description =
          "log lines as text, or as one JSON object each for log pipelines (default ${DEFAULT-VALUE})")
  String logFormat;

  void check() {
    Flags.range("--metrics-port", metricsPort, 0, 65535);
    Flags.range("--queue-timeout-seconds", queueTimeoutSeconds, 0, 900);
  }

  LogFormat logFormat() {
    return LogFormat.parse("--log-format", logFormat);
  }
}
