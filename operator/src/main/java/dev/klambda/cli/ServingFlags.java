package dev.klambda.cli;

import dev.klambda.agent.BillingRule;
import dev.klambda.metering.Billing;
import java.math.BigDecimal;
import picocli.CommandLine.Option;

/** What the commands that serve invocations take (local and gateway). */
final class ServingFlags {
  @Option(
      names = "--port",
      paramLabel = "N",
      defaultValue = "8080",
      description = "gateway port (default ${DEFAULT-VALUE})")
  int port;

  @Option(
      names = "--async-retry-delay-seconds",
      paramLabel = "N",
      defaultValue = "60",
      description =
          "wait before retrying a failed Event invocation (default ${DEFAULT-VALUE}; the second "
              + "retry waits twice as long)")
  int asyncRetryDelaySeconds;

  @Option(
      names = "--concurrency-limit",
      paramLabel = "N",
      defaultValue = "1000",
      description =
          "environments per function without reservedConcurrency (default ${DEFAULT-VALUE})")
  int concurrencyLimit;

  @Option(
      names = "--queue-at-limit",
      paramLabel = "true|false",
      arity = "1",
      defaultValue = "false",
      description =
          "at a function's concurrency limit, wait in the queue (up to --queue-timeout-seconds) "
              + "instead of Lambda's immediate 429, for functions that do not set spec.queueAtLimit "
              + "(default ${DEFAULT-VALUE})")
  boolean queueAtLimit;

  @Option(
      names = "--usage-interval-seconds",
      paramLabel = "N",
      defaultValue = "15",
      description = "how often usage is written down (default ${DEFAULT-VALUE}; also at shutdown)")
  int usageIntervalSeconds;

  @Option(
      names = "--billing-granularity-ms",
      paramLabel = "N",
      defaultValue = "" + BillingRule.AWS_GRANULARITY_MILLIS,
      description =
          "billed duration is rounded up to a multiple of this (default ${DEFAULT-VALUE})")
  int billingGranularityMillis;

  @Option(
      names = "--bill-init",
      paramLabel = "true|false",
      arity = "1",
      defaultValue = "" + BillingRule.AWS_BILLS_INIT,
      description =
          "bill the Init of cold starts, as AWS does since 2025 (default ${DEFAULT-VALUE})")
  boolean billInit;

  @Option(
      names = "--price-per-gb-second",
      paramLabel = "P",
      defaultValue = Billing.AWS_PRICE_PER_GB_SECOND,
      description = "default ${DEFAULT-VALUE} (AWS x86 list price, USD)")
  BigDecimal pricePerGbSecond;

  @Option(
      names = "--price-per-million-requests",
      paramLabel = "P",
      defaultValue = Billing.AWS_PRICE_PER_MILLION_REQUESTS,
      description = "default ${DEFAULT-VALUE}")
  BigDecimal pricePerMillionRequests;

  @Option(
      names = "--warm-pool",
      paramLabel = "[NAMESPACE/]RUNTIME/MEMORY_MB=SIZE,...",
      defaultValue = "",
      description =
          "keep SIZE started, generic environments of that runtime and memory (namespace default: "
              + "the default namespace) for cold starts to claim: one function each, for life (default: none)")
  String warmPools;

  @Option(
      names = "--audit-log",
      paramLabel = "true|false",
      arity = "1",
      defaultValue = "false",
      description =
          "a log line per invocation: caller, function, status (default ${DEFAULT-VALUE})")
  boolean auditLog;

  void check() {
    Flags.range("--port", port, 0, 65535);
    Flags.range("--async-retry-delay-seconds", asyncRetryDelaySeconds, 0, 3600);
    Flags.range("--concurrency-limit", concurrencyLimit, 1, 100_000);
    Flags.range("--usage-interval-seconds", usageIntervalSeconds, 1, 3600);
    Flags.range("--billing-granularity-ms", billingGranularityMillis, 1, 3_600_000);
    Flags.notNegative("--price-per-gb-second", pricePerGbSecond);
    Flags.notNegative("--price-per-million-requests", pricePerMillionRequests);
  }

  Billing billing() {
    return new Billing(
        billingGranularityMillis, billInit, pricePerGbSecond, pricePerMillionRequests);
  }
}
