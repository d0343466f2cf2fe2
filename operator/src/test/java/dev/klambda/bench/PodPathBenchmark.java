package dev.klambda.bench;

import static java.util.concurrent.TimeUnit.MINUTES;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.klambda.agent.AgentProtocol;
import dev.klambda.agent.Docker;
import dev.klambda.api.Function;
import dev.klambda.cli.Options;
import dev.klambda.environments.AgentClient;
import dev.klambda.environments.AgentEnvironment;
import dev.klambda.environments.CodeConfigMap;
import dev.klambda.environments.CodeFiles;
import dev.klambda.environments.Environment;
import dev.klambda.environments.EnvironmentPodTemplate;
import dev.klambda.environments.EnvironmentResources;
import dev.klambda.environments.InvocationRequest;
import dev.klambda.environments.InvocationResult;
import dev.klambda.environments.Settlements;
import dev.klambda.function.CodeSource;
import dev.klambda.function.FunctionConfig;
import dev.klambda.function.FunctionValidator;
import dev.klambda.function.SizingPolicy;
import dev.klambda.pool.PoolSpec;
import dev.klambda.testing.DockerNetwork;
import dev.klambda.testing.DockerPod;
import dev.klambda.testing.Manifests;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Pod path of an execution environment, measured in Docker: each environment's Pod is built by
 * the real {@link EnvironmentPodTemplate} (from a FunctionConfig of the real validator), run by
 * {@link DockerPod} as the kubelet would run it, and called by the gateway's real {@link
 * AgentClient}. Nothing here knows the Pod's layout, so a new layout is measured unchanged.
 *
 * <ul>
 *   <li><b>cold</b>: wall time from just before the first {@code docker run} to the first
 *       invocation's answer ({@code awaitInitEnded}, then {@code invoke}), fresh containers for
 *       each sample; split into docker run, until Init ended, and the first invocation; with the
 *       agent's Init Duration, the Pod's CPU time and CFS throttling over the start, the start and
 *       CPU of each of its processes, and docker's timestamps of container creation, start and
 *       first output line. A sample whose first answer is an Init error is reported as failed;
 *       after {@code bench.maxFailures} of them a configuration takes no more samples.
 *   <li><b>warm</b>: sequential invocations on the environment of the first successful cold sample:
 *       client time ({@code AgentClient.invoke}) and klambda overhead = client time − the
 *       invocation's Duration ({@code Klambda-Duration-Micros}); the Pod's CPU per invocation.
 * </ul>
 *
 * Functions: {@code provided}, the bash + curl bootstrap of examples/echo-provided.yaml, {@code
 * java21}, the test handler {@code EchoHandler} in a jar (AWS's runtime interface client), {@code
 * python3.11}, examples/python-hello (klambda's Python runtime client), and {@code nodejs22.x},
 * examples/node-hello (AWS's Node.js runtime interface client). First, as a baseline, the same
 * number of starts of a Pod whose one container only sleeps: what docker alone costs here.
 *
 * <p>Build the agent and the runtime image of this checkout first, then run it (one benchmark at a
 * time: CPU limits of a fraction of a core make it sensitive to anything else on the machine; the
 * agent module in the reactor, so the test classpath has this checkout's agent, not whatever
 * another build last installed in the local Maven repository):
 *
 * <pre>
 * mvn -B -q install -DskipTests
 * docker build -q --build-arg BASE_IMAGE=klambda/base-jre:25 -t klambda/runtime:before agent
 * mvn -B -pl agent,operator verify -Dtest=PodPathBenchmark -Dsurefire.failIfNoSpecifiedTests=false \
 *   -Dit.test=NoSuchIT -Dfailsafe.failIfNoSpecifiedTests=false -Dbench.image=klambda/runtime:before
 * </pre>
 *
 * System properties ({@code -Dbench.x=...}): bench.image (the runtime image; default {@value
 * Options#DEFAULT_RUNTIME_IMAGE}), bench.runtimes (provided,java21; python3.11 and nodejs22.x too),
 * bench.memory (128,256,512,1792), bench.coldSamples (5), bench.maxFailures (2),
 * bench.warmInvocations (300), bench.warmMaxSeconds (120: a configuration's warm run ends there
 * even short of its invocations; the bash function takes ~1.4 s an invocation at 128 MB and ~0.7 s
 * at 256, so all 300 of them need 600 and a run of those two alone), bench.warmPauseMs (0: back to
 * back; with a pause the runtime is already waiting for its next event, so its own time between
 * events leaves the overhead), bench.awaitQuietSeconds (60: before each sample, wait that long at
 * most for the shared machine to be idle), bench.out (target/podpath: the report, {@code
 * report.md}, and each sample's commands and container logs), bench.pool (false; true: each cold
 * start claims a warm-pool member Pod started ahead of it, as {@code --warm-pool} does),
 * bench.initBoostMillis (0; N: the function container starts with that CPU limit and is resized to
 * its share once Init ended, as {@code --init-cpu-boost-millis} does). The default run takes ~18
 * minutes on 2 CPUs, most of it the bash function at 128 and 256 MB; the JUnit timeout is 25
 * minutes.
 */
@Timeout(value = 25, unit = MINUTES)
class PodPathBenchmark {
  private static final Logger LOG = LoggerFactory.getLogger(PodPathBenchmark.class);
  private static final String IMAGE =
      System.getProperty("bench.image", Options.DEFAULT_RUNTIME_IMAGE);
  private static final int COLD_SAMPLES = Integer.getInteger("bench.coldSamples", 5);
  private static final int MAX_FAILURES = Integer.getInteger("bench.maxFailures", 2);
  private static final int WARM_INVOCATIONS = Integer.getInteger("bench.warmInvocations", 300);
  private static final Duration WARM_MAX =
      Duration.ofSeconds(Integer.getInteger("bench.warmMaxSeconds", 120));
  private static final int WARM_PAUSE_MILLIS = Integer.getInteger("bench.warmPauseMs", 0);
  private static final int QUIET_SECONDS = Integer.getInteger("bench.awaitQuietSeconds", 60);
  private static final Path OUT = Path.of(System.getProperty("bench.out", "target/podpath"));

  /** The function container's CPU limit until Init ends (--init-cpu-boost-millis); 0: none. */
  private static final int INIT_BOOST_MILLIS = Integer.getInteger("bench.initBoostMillis", 0);

  /** Cold starts from a warm pool: a member started ahead, then the claim is the cold start. */
  private static final boolean POOL = Boolean.getBoolean("bench.pool");

  private static final String REGION = "us-east-1";

  /**
   * The gateway's start allowance (scheduling, image pulls) on top of the function's Init timeout.
   */
  private static final Duration START_ALLOWANCE = Duration.ofSeconds(30);

  private static final byte[] EVENT = "{\"hello\":\"world\"}".getBytes(StandardCharsets.UTF_8);

  private final FunctionValidator validator = new FunctionValidator(SizingPolicy.DEFAULT);
  // with invoke tokens, as the gateway builds Pods: the agent checks each invocation's
  private final EnvironmentPodTemplate template =
      new EnvironmentPodTemplate(
          IMAGE,
          EnvironmentResources.defaults(SizingPolicy.DEFAULT).withInitBoost(INIT_BOOST_MILLIS),
          REGION,
          dev.klambda.auth.PeerKey.random());
  private final AgentClient agent = new AgentClient(Settlements.NONE);

  /**
   * One cold start; nanoseconds, offsets from just before the first docker run.
   *
   * @param outcome "success", or the first answer's outcome and error type
   * @param processes the Pod's live processes after the first answer: start offset and CPU used
   */
  record ColdSample(
      String outcome,
      long prepareNanos,
      long runNanos,
      long readyNanos,
      long invokeNanos,
      long initMicros,
      long durationMicros,
      ContainerCpu cpu,
      long createdAt,
      long startedAt,
      long firstOutputAt,
      List<ContainerProcesses.Process> processes,
      long stopNanos) {
    long totalNanos() {
      return runNanos + readyNanos + invokeNanos;
    }

    boolean succeeded() {
      return outcome.equals("success");
    }
  }

  /**
   * Sequential invocations on one environment, in call order.
   *
   * @param cpu the Pod's CPU use and throttling over all of them
   * @param processes each live process's CPU over all of them
   */
  record Warm(
      long[] clientNanos,
      long[] overheadNanos,
      ContainerCpu cpu,
      List<ContainerProcesses.Process> processes,
      String memoryUse) {}

  /**
   * What one runtime × memory configuration measured; {@code warm} is null when no start succeeded.
   */
  record Result(
      String runtime,
      int memoryMB,
      long cpuMillis,
      List<ColdSample> cold,
      Warm warm,
      String loadBefore,
      String loadAfter) {}

  @Test
  void podPath() throws Exception {
    assertThat(Docker.unavailableReason()).as("a Docker engine").isNull();
    Docker.Result image =
        Docker.run(
            Duration.ofSeconds(30),
            null,
            "docker",
            "image",
            "inspect",
            "-f",
            "{{.Id}} {{.Created}}",
            IMAGE);
    assertThat(image.exitCode())
        .as("image %s exists (see the javadoc for how to build it)", IMAGE)
        .isZero();
    Files.createDirectories(OUT);
    PodPathReport report = new PodPathReport(IMAGE, image.stdout().strip(), loadAverage(), POOL);
    try (DockerNetwork network = DockerNetwork.create()) {
      report.baseline(baseline(network));
      for (String runtime : System.getProperty("bench.runtimes", "provided,java21").split(",")) {
        for (int memoryMB :
            Arrays.stream(System.getProperty("bench.memory", "128,256,512,1792").split(","))
                .mapToInt(Integer::parseInt)
                .toArray()) {
          report.add(measure(network, function(runtime, memoryMB)));
          Files.writeString(OUT.resolve("report.md"), report.markdown(loadAverage())); // so far
        }
      }
    }
    String markdown = report.markdown(loadAverage());
    Files.writeString(OUT.resolve("report.md"), markdown);
    System.out.println("\n" + markdown);
  }

  /**
   * What docker alone costs: {@code DockerPod.start()} of a one-container Pod whose container only
   * sleeps, in the runtime image, on the same network.
   */
  private long[] baseline(DockerNetwork network) throws Exception {
    Pod sleeper =
        new PodBuilder()
            .withNewMetadata()
            .withGenerateName("baseline-")
            .endMetadata()
            .withNewSpec()
            .withTerminationGracePeriodSeconds(0L)
            .addNewContainer()
            .withName("sleep")
            .withImage(IMAGE)
            .withCommand("sleep", "60")
            .endContainer()
            .endSpec()
            .build();
    long[] runs = new long[COLD_SAMPLES];
    for (int i = 0; i < runs.length; i++) {
      CpuMeter.awaitQuiet(QUIET_SECONDS);
      try (DockerPod pod = DockerPod.create(sleeper, Map.of(), network, OUT.resolve("pods"))) {
        long start = System.nanoTime();
        pod.start();
        runs[i] = System.nanoTime() - start;
      }
    }
    LOG.info(
        "docker baseline: {} ms",
        Arrays.stream(runs).map(TimeUnit.NANOSECONDS::toMillis).boxed().toList());
    return runs;
  }

  private Result measure(DockerNetwork network, FunctionConfig function) throws Exception {
    String name = function.runtime() + "-" + function.memoryMB();
    String loadBefore = loadAverage();
    List<ColdSample> cold = new ArrayList<>();
    Warm warm = null;
    int failures = 0;
    for (int sample = 1; sample <= COLD_SAMPLES && failures < MAX_FAILURES; sample++) {
      double busy = CpuMeter.awaitQuiet(QUIET_SECONDS);
      LOG.info(
          "{} cold sample {}/{} ({}% of the machine busy before it; load {})",
          name, sample, COLD_SAMPLES, Math.round(busy), loadAverage());
      long prepareStart = System.nanoTime();
      Pod spec = POOL ? template.buildPoolMember(pool(function)) : template.build(function, false);
      try (DockerPod pod =
          DockerPod.create(
              spec, POOL ? Map.of() : configMaps(function), network, OUT.resolve("pods"))) {
        ContainerCpu cpuBefore = POOL ? pooledMember(pod, function) : null;
        long prepared = System.nanoTime();
        Instant wallStart = Instant.now();
        long start = System.nanoTime();
        if (POOL) {
          agent.claim(
              address(pod),
              template.invokeToken(spec),
              AgentEnvironment.claim(
                  function,
                  REGION,
                  false,
                  CodeFiles.inline(((CodeSource.Inline) function.code()).files()),
                  template.billing()));
        } else {
          pod.start();
        }
        long run = System.nanoTime();
        Environment environment =
            new Environment(
                pod.name(),
                function,
                function.generation(),
                address(pod),
                new CompletableFuture<>(),
                template.invokeToken(spec));
        // no liveness check while waiting: asking docker costs a CLI process per poll, which
        // would compete with the start measured; the deadline bounds a dead environment
        agent.awaitInitEnded(
            environment.address(),
            start + function.initTimeout().plus(START_ALLOWANCE).toNanos(),
            () -> true);
        long ready = System.nanoTime();
        // the kubelet resizes while the first invocation is on its way; docker's CLI takes longer
        // than that, so the resize is done (and left out of the times) before the invocation
        long resize = 0;
        if (template.resources().boostsInit(function.memoryMB())) {
          long resizeStart = System.nanoTime();
          pod.resizeCpu(
              EnvironmentPodTemplate.FUNCTION_CONTAINER,
              SizingPolicy.DEFAULT.cpuMillis(function.memoryMB()));
          resize = System.nanoTime() - resizeStart;
        }
        long invoked = System.nanoTime();
        InvocationResult answer = agent.invoke(environment, request());
        long answered = System.nanoTime();
        InvocationResult first;
        try (answer) {
          first = answer.copiedToHeap(); // read below, after the client's buffer is let go of
        }

        List<DockerPod.ContainerState> states = pod.states();
        ContainerCpu cpu =
            POOL
                ? ContainerCpu.between(cpuBefore, ContainerCpu.ofPod(states))
                : ContainerCpu.ofPod(states);
        List<ContainerProcesses.Process> processes = ContainerProcesses.ofPod(states, start);
        List<DockerPod.LogLine> lines = pod.logLines();
        String outcome =
            first.outcome() == InvocationResult.Outcome.SUCCESS
                ? "success"
                : first.outcome() + " " + first.errorType();
        if (!outcome.equals("success")) {
          failures++;
          LOG.warn(
              "{} cold sample {}: {}",
              name,
              sample,
              first.payload().toString(StandardCharsets.UTF_8));
        } else if (warm == null) {
          warm = warm(name, pod, environment, states);
        }
        Files.writeString(
            OUT.resolve(name + "-sample" + sample + ".log"),
            String.join("\n", pod.commandLines()) + "\n\n" + pod.logs());
        Duration stop = pod.stop();
        cold.add(
            new ColdSample(
                outcome,
                prepared - prepareStart,
                run - start,
                ready - run,
                answered - invoked,
                first.initDurationMicros(),
                first.durationMicros(),
                cpu,
                offset(wallStart, states.getFirst().created()),
                offset(wallStart, states.getFirst().started()),
                lines.isEmpty() ? -1 : offset(wallStart, lines.getFirst().time()),
                processes,
                stop.toNanos()));
        LOG.info(
            "{} cold sample {}: {} after {} ms (docker run {} ms), Init Duration {} ms, resize {} ms (left out),"
                + " stop {} ms",
            name,
            sample,
            outcome,
            millis(answered - start - resize),
            millis(run - start),
            first.initDurationMicros() / 1000,
            millis(resize),
            stop.toMillis());
      }
    }
    return new Result(
        function.runtime(),
        function.memoryMB(),
        SizingPolicy.DEFAULT.cpuMillis(function.memoryMB()),
        cold,
        warm,
        loadBefore,
        loadAverage());
  }

  /**
   * A warm-pool member of the function's runtime and memory, started and claimable, then left alone
   * until the machine is quiet (a member waits in its pool); its cgroups' CPU so far.
   */
  private ContainerCpu pooledMember(DockerPod pod, FunctionConfig function) throws Exception {
    pod.start();
    agent.awaitClaimable(address(pod), System.nanoTime() + START_ALLOWANCE.toNanos(), () -> true);
    CpuMeter.awaitQuiet(QUIET_SECONDS);
    return ContainerCpu.ofPod(pod.states());
  }

  private static PoolSpec pool(FunctionConfig function) {
    return new PoolSpec(function.namespace(), function.runtime(), function.memoryMB(), 1);
  }

  private static URI address(DockerPod pod) {
    return URI.create("http://" + pod.ip() + ":" + AgentProtocol.INVOKE_PORT);
  }

  /**
   * Up to {@code bench.warmInvocations} sequential invocations, {@code bench.warmPauseMs} apart.
   */
  private Warm warm(
      String name, DockerPod pod, Environment environment, List<DockerPod.ContainerState> states)
      throws Exception {
    long[] client = new long[WARM_INVOCATIONS];
    long[] overhead = new long[WARM_INVOCATIONS];
    ContainerCpu cpuBefore = ContainerCpu.ofPod(states);
    List<ContainerProcesses.Process> processesBefore = ContainerProcesses.ofPod(states, 0);
    long deadline = System.nanoTime() + WARM_MAX.toNanos();
    int n = 0;
    while (n < WARM_INVOCATIONS && System.nanoTime() < deadline) {
      Thread.sleep(WARM_PAUSE_MILLIS);
      long sent = System.nanoTime();
      InvocationResult answer = agent.invoke(environment, request());
      client[n] = System.nanoTime() - sent;
      InvocationResult result;
      try (answer) {
        result = answer.copiedToHeap();
      }
      if (result.outcome() != InvocationResult.Outcome.SUCCESS) {
        throw new AssertionError(
            pod.name()
                + " answered "
                + result.outcome()
                + " ("
                + result.errorType()
                + "): "
                + result.payload().toString(StandardCharsets.UTF_8)
                + "\n"
                + pod.logs());
      }
      overhead[n] = client[n] - TimeUnit.MICROSECONDS.toNanos(result.durationMicros());
      n++;
    }
    if (n < WARM_INVOCATIONS) {
      LOG.warn(
          "{}: warm run cut at {} invocations after {} s (bench.warmMaxSeconds)",
          name,
          n,
          WARM_MAX.toSeconds());
    }
    ContainerCpu cpu = ContainerCpu.between(cpuBefore, ContainerCpu.ofPod(states));
    List<ContainerProcesses.Process> processes = new ArrayList<>();
    for (ContainerProcesses.Process after : ContainerProcesses.ofPod(states, 0)) {
      processesBefore.stream()
          .filter(p -> p.pid() == after.pid())
          .findFirst()
          .ifPresent(
              before ->
                  processes.add(
                      new ContainerProcesses.Process(
                          after.pid(), after.name(), 0, after.cpuNanos() - before.cpuNanos())));
    }
    return new Warm(
        Arrays.copyOf(client, n), Arrays.copyOf(overhead, n), cpu, processes, memoryUse(states));
  }

  private static InvocationRequest request() {
    return new InvocationRequest(UUID.randomUUID().toString(), EVENT, null, false);
  }

  /** The function as a user would write it, through the real validator, at {@code memoryMB}. */
  private FunctionConfig function(String runtime, int memoryMB) throws Exception {
    Map<String, Object> manifest =
        switch (runtime) {
          case "provided" ->
              new ObjectMapper(new YAMLFactory())
                  .readValue(Path.of("..", "examples", "echo-provided.yaml").toFile(), Map.class);
          case "java21" ->
              Manifests.java21(
                  "echo-java",
                  "dev.klambda.testfunctions.EchoHandler::handleRequest",
                  Manifests.testFunctionsJar(),
                  Map.of());
          case "python3.11" ->
              new ObjectMapper(new YAMLFactory())
                  .readValue(
                      Path.of("..", "examples", "python-hello", "function.yaml").toFile(),
                      Map.class);
          case "nodejs22.x" ->
              new ObjectMapper(new YAMLFactory())
                  .readValue(
                      Path.of("..", "examples", "node-hello", "function.yaml").toFile(), Map.class);
          default -> throw new IllegalArgumentException("runtime " + runtime);
        };
    Function function = new ObjectMapper().convertValue(manifest, Function.class);
    function.getMetadata().setNamespace("default");
    function.getMetadata().setUid(UUID.randomUUID().toString());
    function.getSpec().setMemoryMB(memoryMB);
    return validator.validate(function);
  }

  /** The code ConfigMap the controller would write for inline code. */
  private static Map<String, ConfigMap> configMaps(FunctionConfig function) {
    if (!(function.code() instanceof CodeSource.Inline inline)) {
      return Map.of();
    }
    return Map.of(
        CodeConfigMap.name(function.name()),
        CodeConfigMap.build(function.namespace(), function.name(), inline.files()));
  }

  /** {@code docker stats} memory of each container. */
  private static String memoryUse(List<DockerPod.ContainerState> states) {
    List<String> command =
        new ArrayList<>(
            List.of("docker", "stats", "--no-stream", "--format", "{{.Name}} {{.MemUsage}}"));
    states.forEach(s -> command.add(s.name()));
    return Docker.run(Duration.ofSeconds(30), null, command.toArray(String[]::new))
        .stdout()
        .strip()
        .replace("\n", "; ");
  }

  private static long offset(Instant from, Instant to) {
    return to == null ? -1 : Duration.between(from, to).toNanos();
  }

  private static long millis(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(nanos);
  }

  private static String loadAverage() {
    try {
      String[] fields = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return String.join(" ", fields[0], fields[1], fields[2]);
    } catch (IOException e) {
      return "?";
    }
  }
}
