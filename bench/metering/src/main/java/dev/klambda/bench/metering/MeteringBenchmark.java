package dev.klambda.bench.metering;

import dev.klambda.environments.InvocationResult;
import dev.klambda.function.CodeSource;
import dev.klambda.function.FunctionConfig;
import dev.klambda.metering.Billing;
import dev.klambda.metering.Metering;
import dev.klambda.metering.PrometheusMetrics;
import dev.klambda.metering.UsageLedger;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The metering and metrics cost of one invocation on the hot path (what the router calls after
 * every invocation): billing arithmetic, the usage ledger, the Prometheus counters and histograms.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class MeteringBenchmark {
  private Metering metering;
  private FunctionConfig function;
  private InvocationResult warm;
  private InvocationResult cold;

  @Setup
  public void setUp() {
    metering =
        new Metering(Billing.AWS, new UsageLedger(Clock.systemUTC()), new PrometheusMetrics());
    function =
        new FunctionConfig(
            "default",
            "echo",
            "uid-1",
            1,
            "provided",
            "",
            new CodeSource.Inline(Map.of()),
            128,
            Duration.ofSeconds(3),
            Duration.ofSeconds(10),
            Map.of(),
            null,
            0,
            Duration.ofMinutes(5),
            null);
    warm =
        new InvocationResult(InvocationResult.Outcome.SUCCESS, new byte[0], null, null, 12_345, 0);
    cold =
        new InvocationResult(
            InvocationResult.Outcome.SUCCESS, new byte[0], null, null, 12_345, 98_765);
  }

  @Benchmark
  public void warmInvocation() {
    metering.completed(function, warm, 2_000);
  }

  @Benchmark
  public void coldInvocation() {
    metering.completed(function, cold, 150_000_000);
  }

  @Benchmark
  @Threads(2)
  public void warmInvocationTwoThreads() {
    metering.completed(function, warm, 2_000);
  }
}
