package dev.klambda.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.klambda.cli.Options;
import dev.klambda.local.LocalMode;
import dev.klambda.testing.Manifests;
import dev.klambda.testing.PrometheusText;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Event source throughput and enqueue-to-handler latency through local mode: Kafka (embedded KRaft
 * broker) and SQS (ElasticMQ) in this JVM, an EventSourceMapping per run, and the java21 function
 * {@code LatencyRecorder} run by AWS's runtime interface client in real environments.
 *
 * <ul>
 *   <li><b>drain</b>: N messages are enqueued first, then local mode starts with the mapping;
 *       msgs/s = N / (local mode start → last message handled), and also over first → last handled.
 *   <li><b>paced</b>: with the mapping running and warm, messages at a steady rate; latency =
 *       handler's clock − the record's enqueue timestamp (ms).
 * </ul>
 *
 * Run with {@code mvn -B -pl agent,operator verify -Dtest=EventSourceBenchmark
 * -Dsurefire.failIfNoSpecifiedTests=false -Dit.test=NoSuchIT
 * -Dfailsafe.failIfNoSpecifiedTests=false} (the agent module in the reactor, so target/agent holds
 * this checkout's agent, not whatever is in the local Maven repository); one round takes ~3 minutes
 * on 2 CPUs. System properties (pass as {@code -Dbench.x=...}): bench.sources (kafka,sqs),
 * bench.batches (10,100), bench.modes (drain,paced), bench.rounds (1), bench.kafka.batches (2000: a
 * Kafka drain has batches × batch size messages, 20,000 and 200,000), bench.sqs.messages (20000),
 * bench.kafka.rate / bench.sqs.rate (paced msgs/s: 200 / 100), bench.paced.seconds (10),
 * bench.maximumConcurrency (unset: the mapping's default, 1000), bench.kafka.broker (k=v,... broker
 * settings for experiments), bench.awaitQuietSeconds (120: before each run, wait that long at most
 * for the shared machine to be idle), bench.profile (false; true samples the poller threads in
 * every run, see {@link StackSampler}: for finding where the time goes, not for the numbers). One
 * unreported drain per source comes first, so this JVM's brokers, gateway and pollers are
 * JIT-compiled.
 */
class EventSourceBenchmark {
  private static final String FUNCTION = "sink";
  private static final int KAFKA_BATCHES = Integer.getInteger("bench.kafka.batches", 2_000);
  private static final int SQS_MESSAGES = Integer.getInteger("bench.sqs.messages", 20_000);
  private static final int PACED_SECONDS = Integer.getInteger("bench.paced.seconds", 10);
  private static final boolean PROFILE = Boolean.getBoolean("bench.profile");
  private static final int QUIET_SECONDS = Integer.getInteger("bench.awaitQuietSeconds", 120);

  private final HttpClient http = HttpClient.newHttpClient();
  private final List<String> report = new ArrayList<>();
  private final List<String> drainRows = new ArrayList<>();
  private final List<String> pacedRows = new ArrayList<>();
  private Path work;
  private Brokers brokers;
  private String jniOption;

  private record Run(String source, int batch, String mode, int round, int messages) {
    String name() {
      return source + "-b" + batch + "-" + mode + "-r" + round;
    }

    int window() { // Lambda: an SQS batch above 10 needs a batching window of at least 1 s
      return source.equals("sqs") && batch > 10 ? 1 : 0;
    }

    boolean paced() {
      return mode.equals("paced");
    }
  }

  @Test
  void throughputAndLatency() throws Exception {
    work = Files.createTempDirectory("event-source-benchmark");
    jniOption = privateJniLibrary(work);
    List<String> sources = List.of(System.getProperty("bench.sources", "kafka,sqs").split(","));
    int[] batches =
        Arrays.stream(System.getProperty("bench.batches", "10,100").split(","))
            .mapToInt(Integer::parseInt)
            .toArray();
    List<String> modes = List.of(System.getProperty("bench.modes", "drain,paced").split(","));
    Map<String, String> broker = new LinkedHashMap<>(); // e.g. group.coordinator.append.linger.ms=0
    for (String setting : System.getProperty("bench.kafka.broker", "").split(",")) {
      if (setting.contains("=")) {
        broker.put(
            setting.substring(0, setting.indexOf('=')),
            setting.substring(setting.indexOf('=') + 1));
      }
    }
    try (Brokers started = new Brokers(broker)) {
      brokers = started;
      for (String source :
          sources) { // unreported: this JVM's brokers, gateway and pollers get JIT-compiled
        run(new Run(source, 10, "drain", 0, source.equals("kafka") ? 5000 : 1000));
      }
      report.clear();
      drainRows.clear();
      for (int round = 1; round <= Integer.getInteger("bench.rounds", 1); round++) {
        for (String source : sources) {
          for (int batch : batches) {
            for (String mode : modes) {
              int messages = source.equals("kafka") ? KAFKA_BATCHES * batch : SQS_MESSAGES;
              run(new Run(source, batch, mode, round, mode.equals("paced") ? 0 : messages));
            }
          }
        }
      }
    }
    System.out.println(
        "\n## EventSourceBenchmark"
            + (broker.isEmpty() ? "" : " (Kafka broker: " + broker + ")")
            + "\n\n"
            + String.join("\n\n", report));
    System.out.println(
        "\n| source | batch | window s | round | msgs | s (start→last) | msgs/s (start→last) "
            + "| msgs/s (first→last handled) | invocations | invocations/s | mean handler ms (agent) | dup |\n"
            + "|---|---|---|---|---|---|---|---|---|---|---|---|\n"
            + String.join("\n", drainRows));
    System.out.println(
        "\n| source | batch | window s | round | rate msgs/s | msgs | p50 ms | p95 ms | p99 ms | max ms "
            + "| mean batch | dup |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n"
            + String.join("\n", pacedRows));
  }

  private void run(Run run) throws Exception {
    Path dir = Files.createDirectories(work.resolve(run.name()));
    Path latencyFile = dir.resolve("latency.log");
    String target = brokers.create(run.source(), run.name());
    int rate =
        Integer.getInteger(
            "bench." + run.source() + ".rate", run.source().equals("kafka") ? 200 : 100);
    int messages = run.paced() ? rate * PACED_SECONDS : run.messages();
    if (!run.paced()) {
      brokers.enqueue(run.source(), target, "m", messages, 0);
    }
    Path manifest =
        Manifests.write(
            dir.resolve("manifest.yaml"),
            List.of(
                Manifests.java21(
                    FUNCTION,
                    "dev.klambda.testfunctions.LatencyRecorder::handleRequest",
                    Manifests.testFunctionsJar(),
                    Map.of(
                        "timeoutSeconds",
                        60,
                        "environment",
                        Map.of(
                            "variables",
                            Map.of(
                                "LATENCY_FILE",
                                latencyFile.toString(),
                                "JAVA_TOOL_OPTIONS",
                                jniOption)))),
                mapping(run, target)));
    HandledLog handled = new HandledLog(latencyFile);
    double quiet = CpuMeter.awaitQuiet(QUIET_SECONDS);
    String load = Files.readString(Path.of("/proc/loadavg")).trim();
    CpuMeter.Snapshot before = CpuMeter.take();
    long started = System.currentTimeMillis();
    List<PrometheusText.Sample> metricsBefore = List.of();
    StackSampler sampler = null;
    try (PrintStream logs =
            new PrintStream(new FileOutputStream(dir.resolve("local.log").toFile()), true);
        LocalMode local =
            LocalMode.start(
                Options.parseLocal(
                    List.of(
                        "--port",
                        "0",
                        "--metrics-port",
                        "0",
                        "--queue-timeout-seconds",
                        "60",
                        "--work-dir",
                        dir.resolve("work").toString(),
                        "--usage-file",
                        dir.resolve("usage.json").toString(),
                        manifest.toString())),
                logs,
                System.err)) {
      if (run.paced()) {
        brokers.enqueue(
            run.source(),
            target,
            "w",
            rate * 3,
            rate); // warm-up: environments started, code paths hot
        assertThat(handled.await("w", rate * 3, 120_000)).as("warm-up of " + run.name()).isTrue();
        Thread.sleep(1000);
        metricsBefore = scrape(local);
        before = CpuMeter.take();
      }
      if (PROFILE) {
        sampler = new StackSampler(local, 5);
      }
      if (run.paced()) {
        brokers.enqueue(run.source(), target, "m", messages, rate);
      }
      assertThat(handled.await("m", messages, 300_000)).as(run.name() + ": all handled").isTrue();
      CpuMeter.Snapshot after = CpuMeter.take();
      if (sampler != null) {
        sampler.close();
      }
      long crashes;
      try (Stream<String> lines = Files.lines(dir.resolve("local.log"))) {
        crashes = lines.filter(l -> l.contains("A fatal error has been detected")).count();
      }
      record(
          run,
          rate,
          messages,
          started,
          handled,
          diff(metricsBefore, scrape(local), run),
          String.format(
              "%.0f%% CPU busy before the run; load average %s; runtime crashes: %d",
              quiet, load, crashes),
          before,
          after,
          sampler);
    }
  }

  private void record(
      Run run,
      int rate,
      int messages,
      long started,
      HandledLog handled,
      Map<String, Double> m,
      String load,
      CpuMeter.Snapshot before,
      CpuMeter.Snapshot after,
      StackSampler sampler) {
    long[] span = handled.handledSpan("m");
    double invocations = m.get("batches");
    double meanHandlerMs = 1000 * m.get("durationSum") / Math.max(1, m.get("durationCount"));
    String head =
        "| "
            + run.source()
            + " | "
            + run.batch()
            + " | "
            + run.window()
            + " | "
            + run.round()
            + (PROFILE ? " (profiled)" : "");
    if (run.paced()) {
      long[] l = handled.latencies("m");
      pacedRows.add(
          head
              + " | "
              + rate
              + " | "
              + messages
              + " | "
              + HandledLog.percentile(l, 50)
              + " | "
              + HandledLog.percentile(l, 95)
              + " | "
              + HandledLog.percentile(l, 99)
              + " | "
              + l[l.length - 1]
              + " | "
              + String.format("%.1f", m.get("records") / Math.max(1, invocations))
              + " | "
              + handled.duplicates()
              + " |");
    } else {
      double seconds = (span[1] - started) / 1000.0;
      drainRows.add(
          head
              + " | "
              + messages
              + " | "
              + String.format(
                  "%.2f | %.0f | %.0f | %.0f | %.0f | %.2f",
                  seconds,
                  messages / seconds,
                  messages / Math.max(0.001, (span[1] - span[0]) / 1000.0),
                  invocations,
                  invocations / seconds,
                  meanHandlerMs)
              + " | "
              + handled.duplicates()
              + " |");
    }
    report.add(
        "### "
            + run.name()
            + "\n"
            + load
            + "\n"
            + CpuMeter.summary(before, after, messages)
            + String.format(
                "%ninvocations %.0f, mean records/invocation %.1f, mean handler duration %.2f ms (agent),"
                    + " mean wait for an environment %.2f ms, cold starts %.0f",
                invocations,
                m.get("records") / Math.max(1, invocations),
                meanHandlerMs,
                1000 * m.get("waitSum") / Math.max(1, m.get("waitCount")),
                m.get("coldStarts"))
            + "\ntest JVM threads, % of one CPU: "
            + CpuMeter.threads(before, after, 12)
            + (sampler == null
                ? ""
                : "\npoller threads, share of samples (innermost klambda frame -> what it called):\n"
                    + sampler.report()));
  }

  /**
   * AWS's runtime interface client (2.10.1) copies its JNI library to the fixed path
   * /tmp/.libaws-lambda-jni.so at every start and loads it from there; java21 environments that
   * start at the same time on one machine (SQS's five pollers, other test runs) overwrite it under
   * each other and one dies of SIGBUS in ld.so. The client loads the file named by this system
   * property instead: a private copy, given to the function as JAVA_TOOL_OPTIONS.
   */
  private static String privateJniLibrary(Path work) throws Exception {
    Path lib = work.resolve("libaws-lambda-jni.so");
    try (Stream<Path> jars = Files.list(Path.of("target/agent/runtimes/java21"));
        FileSystem jar =
            FileSystems.newFileSystem(
                jars.filter(
                        p ->
                            p.getFileName()
                                .toString()
                                .startsWith("aws-lambda-java-runtime-interface-client"))
                    .findFirst()
                    .orElseThrow())) {
      Files.copy(jar.getPath("jni/libaws-lambda-jni.linux-x86_64.so"), lib);
    }
    return "-Dcom.amazonaws.services.lambda.runtime.api.client.runtimeapi.NativeClient.JNI=" + lib;
  }

  private Map<String, Object> mapping(Run run, String target) {
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("functionName", FUNCTION);
    spec.put("batchSize", run.batch());
    spec.put("maximumBatchingWindowSeconds", run.window());
    Integer maximumConcurrency = Integer.getInteger("bench.maximumConcurrency");
    if (maximumConcurrency != null) {
      spec.put("maximumConcurrency", maximumConcurrency);
    }
    // a Kafka group id is given: local mode's mappings have no uid, from which the default comes
    spec.put("source", brokers.mappingSource(run.source(), target, "bench-" + run.name()));
    if (run.source().equals("kafka")) {
      spec.put("startingPosition", "TRIM_HORIZON");
    }
    return Map.of(
        "apiVersion",
        "klambda.dev/v1alpha1",
        "kind",
        "EventSourceMapping",
        "metadata",
        Map.of("name", run.name()),
        "spec",
        spec);
  }

  private List<PrometheusText.Sample> scrape(LocalMode local) throws Exception {
    return PrometheusText.parse(
        http.send(
                HttpRequest.newBuilder(URI.create(local.metricsUrl())).build(),
                HttpResponse.BodyHandlers.ofString())
            .body());
  }

  /** The run's counters: after − before. */
  private static Map<String, Double> diff(
      List<PrometheusText.Sample> a, List<PrometheusText.Sample> b, Run run) {
    Map<String, String> fn = Map.of("function", FUNCTION);
    Map<String, String> esm = Map.of("mapping", run.name());
    Map<String, Double> d = new LinkedHashMap<>();
    d.put("batches", delta(a, b, "klambda_esm_batches_total", esm));
    d.put("records", delta(a, b, "klambda_esm_events_invoked_total", esm));
    d.put("durationSum", delta(a, b, "klambda_invocation_duration_seconds_sum", fn));
    d.put("durationCount", delta(a, b, "klambda_invocation_duration_seconds_count", fn));
    d.put("waitSum", delta(a, b, "klambda_queue_wait_seconds_sum", fn));
    d.put("waitCount", delta(a, b, "klambda_queue_wait_seconds_count", fn));
    d.put("coldStarts", delta(a, b, "klambda_cold_starts_total", fn));
    return d;
  }

  private static double delta(
      List<PrometheusText.Sample> a,
      List<PrometheusText.Sample> b,
      String name,
      Map<String, String> labels) {
    return PrometheusText.value(b, name, labels) - PrometheusText.value(a, name, labels);
  }
}
