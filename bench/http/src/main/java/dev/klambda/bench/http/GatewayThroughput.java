package dev.klambda.bench.http;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The gateway's throughput with the function's runtime out of the measurement: {@code klambda.jar
 * gateway} processes (as the chart runs them, each pinned to a core with {@code taskset}) against a
 * fabric8 mock API server, whose Pods a {@link MockKubelet} runs at once and an {@link EchoAgent}
 * answers for. Raw keep-alive connections invoke functions through the Invoke API back to back
 * (connection {@code c} invokes function {@code c % functions} at gateway {@code c % gateways}, as
 * a Service spreads clients). Reported: invocations/s, latency, and the gateways' CPU per
 * invocation from /proc; with {@code --allocation}, their heap allocated per invocation too ({@link
 * AllocatedBytes}).
 *
 * <pre>java -cp bench/http/target/http-stacks.jar dev.klambda.bench.http.GatewayThroughput
 *     [--gateways 1,2] [--cores 0,1] [--connections 32] [--functions 8] [--warmup N] [--requests N]
 *     [--body BYTES] [--allocation] [--gateway-jar PATH] [--held N] [--hold-millis MS]</pre>
 *
 * {@code --held N} adds a row of N requests held at once by one gateway with a 512 MB heap. {@code
 * --gateway-jar} runs another build's {@code klambda.jar} (a before/after comparison).
 *
 * <p>Run from the repository root after {@code mvn install -DskipTests} (it starts {@code
 * operator/target/klambda.jar} and reads {@code crds/}); port 9000 must be free on the loopback
 * (the agent's port).
 */
public final class GatewayThroughput {
  private GatewayThroughput() {}

  public static void main(String[] args) throws Exception {
    List<Integer> gatewayCounts = List.of(1, 2);
    List<Integer> cores = List.of(0, 1);
    int connections = 32;
    int functions = 8;
    int warmup = 100_000;
    int requests = 200_000;
    int bodyBytes = 128;
    int held = 0;
    long holdMillis = 5000;
    boolean allocation = false;
    Path jar = Path.of("operator/target/klambda.jar");
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--gateways" ->
            gatewayCounts = Arrays.stream(args[++i].split(",")).map(Integer::valueOf).toList();
        case "--cores" ->
            cores = Arrays.stream(args[++i].split(",")).map(Integer::valueOf).toList();
        case "--connections" -> connections = Integer.parseInt(args[++i]);
        case "--functions" -> functions = Integer.parseInt(args[++i]);
        case "--warmup" -> warmup = Integer.parseInt(args[++i]);
        case "--requests" -> requests = Integer.parseInt(args[++i]);
        case "--body" -> bodyBytes = Integer.parseInt(args[++i]);
        case "--held" -> held = Integer.parseInt(args[++i]);
        case "--hold-millis" -> holdMillis = Long.parseLong(args[++i]);
        case "--gateway-jar" -> jar = Path.of(args[++i]);
        case "--allocation" -> allocation = true;
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(
          jar + " is missing: run from the repository root after mvn install");
    }
    byte[] body = new byte[bodyBytes];
    Arrays.fill(body, (byte) 'x');
    body[0] = '"';
    body[body.length - 1] = '"';

    KubernetesMockServer server =
        new KubernetesMockServer(
            new Context(),
            new MockWebServer(),
            new HashMap<>(),
            new KubernetesMixedDispatcher(new HashMap<>()),
            false);
    server.init();
    try (KubernetesClient client = server.createClient(new JdkHttpClientFactory());
        EchoAgent echo = new EchoAgent(new InetSocketAddress("0.0.0.0", 9000), 1);
        MockKubelet kubelet = new MockKubelet(client)) {
      client
          .apiextensions()
          .v1()
          .customResourceDefinitions()
          .load(Path.of("crds/functions.klambda.dev-v1.yml").toFile())
          .create();
      client
          .namespaces()
          .resource(
              new NamespaceBuilder().withNewMetadata().withName("default").endMetadata().build())
          .create();
      for (int f = 0; f < functions; f++) {
        client.resource(function("echo-" + f)).inNamespace("default").create();
      }
      client.resource(function("hold")).inNamespace("default").create();
      System.out.printf(
          Locale.ROOT,
          "machine: %d CPUs, %s, JDK %s; %s; %d connections over %d functions, %d warm-up"
              + " and %d measured invocations per row, %d-byte payloads%n%n",
          Runtime.getRuntime().availableProcessors(),
          System.getProperty("os.version"),
          System.getProperty("java.version"),
          jar,
          connections,
          functions,
          warmup,
          requests,
          bodyBytes);
      System.out.println(
          "| gateways (cores) | invocations/s | p50 (µs) | p99 (µs) | gateway CPU per invocation (µs) | forwarded |"
              + (allocation ? " gateway heap allocated per invocation (KB) |" : ""));
      System.out.println("|---|---|---|---|---|---|" + (allocation ? "---|" : ""));
      for (int count : gatewayCounts) {
        System.out.println(
            row(
                client.getMasterUrl().toString(),
                jar,
                count,
                cores,
                connections,
                functions,
                warmup,
                requests,
                body,
                allocation));
      }
      if (held > 0) {
        System.out.println();
        System.out.println(
            "| held requests | answered 200 | gateway heap used after a GC (MB) | gateway RSS (MB) | all answered after (s) |");
        System.out.println("|---|---|---|---|---|");
        System.out.println(
            heldRow(client.getMasterUrl().toString(), jar, held, holdMillis, cores.getFirst()));
      }
    } finally {
      server.destroy();
    }
  }

  private static String row(
      String masterUrl,
      Path jar,
      int count,
      List<Integer> cores,
      int connections,
      int functions,
      int warmup,
      int requests,
      byte[] body,
      boolean allocation)
      throws Exception {
    List<Process> gateways = new ArrayList<>();
    List<AllocatedBytes> heaps = new ArrayList<>();
    List<Integer> ports = new ArrayList<>();
    List<Integer> pinned = new ArrayList<>();
    List<Integer> metricsPorts = new ArrayList<>();
    try {
      for (int g = 0; g < count; g++) {
        int port = HttpStacks.freePort();
        int metricsPort = HttpStacks.freePort();
        int core = cores.get(g % cores.size());
        gateways.add(
            startGateway(
                masterUrl,
                jar,
                "bench-" + count + "-" + g,
                core,
                port,
                metricsPort,
                List.of(),
                List.of("--queue-timeout-seconds", "30")));
        ports.add(port);
        pinned.add(core);
        metricsPorts.add(metricsPort);
        awaitReady(metricsPort);
      }
      Thread.sleep(3000); // every replica sees every other before the load begins
      if (allocation) {
        for (Process gateway : gateways) {
          heaps.add(
              new AllocatedBytes(gateway.pid())); // before the warm-up: its start is not in it
        }
      }
      List<LoadGenerator.Target> targets = new ArrayList<>();
      for (int c = 0; c < connections; c++) {
        targets.add(
            new LoadGenerator.Target(
                ports.get(c % count),
                "/2015-03-31/functions/echo-" + (c % functions) + "/invocations"));
      }
      try (LoadGenerator load = new LoadGenerator(targets, body)) {
        load.run(warmup / connections);
        long allocatedBefore = allocated(heaps);
        long cpuBefore = cpu(gateways);
        double forwardedBefore = forwarded(metricsPorts);
        ClosedLoop.Run run = load.run(requests / connections);
        long cpu = cpu(gateways) - cpuBefore;
        double forwarded = forwarded(metricsPorts) - forwardedBefore;
        long allocated = allocated(heaps) - allocatedBefore;
        return String.format(
                Locale.ROOT,
                "| %d (%s) | %.0f | %.0f | %.0f | %.1f | %.1f %% |",
                count,
                pinned,
                run.requests() * 1e9 / run.wallNanos(),
                run.p50() / 1000.0,
                run.p99() / 1000.0,
                cpu / 1000.0 / run.requests(),
                100 * forwarded / run.requests())
            + (allocation
                ? String.format(Locale.ROOT, " %.1f |", allocated / 1024.0 / run.requests())
                : "");
      }
    } finally {
      for (AllocatedBytes heap : heaps) {
        heap.close();
      }
      for (Process gateway : gateways) {
        gateway
            .destroy(); // SIGTERM: the replica leaves in order, its environments stay for the next
        // row
      }
      for (Process gateway : gateways) {
        gateway.waitFor();
      }
    }
  }

  /**
   * {@code held} requests sent at once to one gateway with a 512 MB heap, each answered by its
   * environment only after {@code holdMillis}: with the per-function limit at 1,000 environments,
   * the rest wait in the router's queue. The heap is read (after a full GC) while all are held.
   */
  private static String heldRow(String masterUrl, Path jar, int held, long holdMillis, int core)
      throws Exception {
    int port = HttpStacks.freePort();
    int metricsPort = HttpStacks.freePort();
    Process gateway =
        startGateway(
            masterUrl,
            jar,
            "bench-held",
            core,
            port,
            metricsPort,
            List.of("-Xmx512m"),
            List.of("--queue-timeout-seconds", "600"));
    List<Socket> sockets = new ArrayList<>();
    try {
      awaitReady(metricsPort);
      String payload = EchoAgent.HOLD + holdMillis + "}";
      byte[] request =
          ("POST /2015-03-31/functions/hold/invocations HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  + "Content-Type: application/json\r\nContent-Length: "
                  + payload.length()
                  + "\r\n\r\n"
                  + payload)
              .getBytes(StandardCharsets.US_ASCII);
      long start = System.nanoTime();
      for (int i = 0; i < held; i++) {
        Socket socket = new Socket("127.0.0.1", port);
        sockets.add(socket);
        socket.getOutputStream().write(request);
        socket.getOutputStream().flush();
      }
      Thread.sleep(2000);
      long heapMb = heapUsedAfterGc(gateway.pid()) / 1024;
      long rssMb = rssKb(gateway.pid()) / 1024;
      int answered = 0;
      for (Socket socket : sockets) {
        socket.setSoTimeout(600_000);
        BufferedReader in =
            new BufferedReader(
                new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
        String status = in.readLine();
        if (status != null && status.startsWith("HTTP/1.1 200")) {
          answered++;
        }
      }
      return String.format(
          Locale.ROOT,
          "| %d | %d | %d | %d | %.0f |",
          held,
          answered,
          heapMb,
          rssMb,
          (System.nanoTime() - start) / 1e9);
    } finally {
      for (Socket socket : sockets) {
        socket.close();
      }
      gateway.destroy();
      gateway.waitFor();
    }
  }

  /** The heap in use after a full GC, in KB, as {@code jcmd} reports it. */
  private static long heapUsedAfterGc(long pid) throws Exception {
    String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
    new ProcessBuilder(jcmd, Long.toString(pid), "GC.run")
        .redirectErrorStream(true)
        .start()
        .waitFor();
    Process info =
        new ProcessBuilder(jcmd, Long.toString(pid), "GC.heap_info")
            .redirectErrorStream(true)
            .start();
    String text = new String(info.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    info.waitFor();
    Matcher used = Pattern.compile("used (\\d+)K").matcher(text);
    if (!used.find()) {
      throw new IllegalStateException("no heap figure in: " + text);
    }
    return Long.parseLong(used.group(1));
  }

  private static long rssKb(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("\\D", ""));
      }
    }
    return 0;
  }

  /**
   * The invocations the gateways passed to the replica that routes their function, from their
   * {@code klambda_forwarded_invocations_total}.
   */
  private static double forwarded(List<Integer> metricsPorts) throws Exception {
    double sum = 0;
    try (HttpClient http = HttpClient.newHttpClient()) {
      for (int port : metricsPorts) {
        String text =
            http.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .body();
        for (String line : text.split("\n")) {
          if (line.startsWith("klambda_forwarded_invocations_total")) {
            sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
          }
        }
      }
    }
    return sum;
  }

  private static long allocated(List<AllocatedBytes> heaps) {
    long sum = 0;
    for (AllocatedBytes heap : heaps) {
      sum += heap.total();
    }
    return sum;
  }

  private static long cpu(List<Process> processes) throws IOException {
    long sum = 0;
    for (Process process : processes) {
      sum += HttpStacks.cpuNanos(process.pid());
    }
    return sum;
  }

  private static Process startGateway(
      String masterUrl,
      Path jar,
      String identity,
      int core,
      int port,
      int metricsPort,
      List<String> jvmOptions,
      List<String> moreArgs)
      throws IOException {
    List<String> command =
        new ArrayList<>(
            List.of(
                "taskset",
                "-c",
                Integer.toString(core),
                Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    command.addAll(jvmOptions);
    command.addAll(
        List.of(
            "-jar",
            jar.toString(),
            "gateway",
            "--bind",
            "127.0.0.1",
            "--port",
            Integer.toString(port),
            "--metrics-port",
            Integer.toString(metricsPort),
            "--identity",
            identity,
            "--lease-namespace",
            "default",
            "--namespaces",
            "default",
            // who may invoke is not measured here (bench/metering's InvokeGuardBenchmark is)
            "--auth",
            "none"));
    command.addAll(moreArgs);
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(
                Path.of(System.getProperty("java.io.tmpdir"), identity + ".log").toFile());
    Map<String, String> env = builder.environment();
    env.put("KUBERNETES_MASTER", masterUrl);
    env.put("KUBERNETES_AUTH_TRYKUBECONFIG", "false");
    env.put("KUBERNETES_AUTH_TRYSERVICEACCOUNT", "false");
    env.put("KUBERNETES_NAMESPACE", "default");
    return builder.start();
  }

  private static void awaitReady(int metricsPort) throws Exception {
    try (HttpClient http = HttpClient.newHttpClient()) {
      long deadline = System.nanoTime() + 60_000_000_000L;
      while (System.nanoTime() < deadline) {
        try {
          if (http.send(
                      HttpRequest.newBuilder(
                              URI.create("http://127.0.0.1:" + metricsPort + "/readyz"))
                          .build(),
                      HttpResponse.BodyHandlers.discarding())
                  .statusCode()
              == 200) {
            return;
          }
        } catch (IOException notYet) {
          // not listening yet
        }
        Thread.sleep(100);
      }
    }
    throw new IllegalStateException(
        "a gateway was not ready within 60 s (its log is in java.io.tmpdir)");
  }

  /** A {@code provided} function whose environments the echo answers for: its code never runs. */
  private static GenericKubernetesResource function(String name) {
    return Serialization.unmarshal(
        """
        apiVersion: klambda.dev/v1alpha1
        kind: Function
        metadata:
          name: %s
        spec:
          runtime: provided
          memoryMB: 128
          idleTimeoutSeconds: 3600
          code:
            inline:
              files:
                bootstrap: "#!/bin/sh"
        """
            .formatted(name),
        GenericKubernetesResource.class);
  }
}
