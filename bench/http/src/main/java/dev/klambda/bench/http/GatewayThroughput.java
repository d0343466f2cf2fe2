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
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The gateway's throughput with the function's runtime out of the measurement: {@code klambda.jar
 * gateway} processes (as the chart runs them, each pinned to a core with {@code taskset}) against a
 * fabric8 mock API server, whose Pods a {@link MockKubelet} runs at once and an {@link EchoAgent}
 * answers for. Raw keep-alive connections invoke functions through the Invoke API back to back
 * (connection {@code c} invokes function {@code c % functions} at gateway {@code c % gateways},
 * as a Service spreads clients). Reported: invocations/s, latency, and the gateways' CPU per
 * invocation from /proc.
 *
 * <pre>java -cp bench/http/target/http-stacks.jar dev.klambda.bench.http.GatewayThroughput
 *     [--gateways 1,2] [--cores 0,1] [--connections 32] [--functions 8] [--warmup N] [--requests N]
 *     [--body BYTES]</pre>
 *
 * Run from the repository root after {@code mvn install -DskipTests} (it starts
 * {@code operator/target/klambda.jar} and reads {@code crds/}); port 9000 must be free on the
 * loopback (the agent's port).
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
    for (int i = 0; i < args.length; i += 2) {
      switch (args[i]) {
        case "--gateways" -> gatewayCounts = Arrays.stream(args[i + 1].split(",")).map(Integer::valueOf).toList();
        case "--cores" -> cores = Arrays.stream(args[i + 1].split(",")).map(Integer::valueOf).toList();
        case "--connections" -> connections = Integer.parseInt(args[i + 1]);
        case "--functions" -> functions = Integer.parseInt(args[i + 1]);
        case "--warmup" -> warmup = Integer.parseInt(args[i + 1]);
        case "--requests" -> requests = Integer.parseInt(args[i + 1]);
        case "--body" -> bodyBytes = Integer.parseInt(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    Path jar = Path.of("operator/target/klambda.jar");
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(jar + " is missing: run from the repository root after mvn install");
    }
    byte[] body = new byte[bodyBytes];
    Arrays.fill(body, (byte) 'x');
    body[0] = '"';
    body[body.length - 1] = '"';

    KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
        new KubernetesMixedDispatcher(new HashMap<>()), false);
    server.init();
    try (KubernetesClient client = server.createClient(new JdkHttpClientFactory());
        EchoAgent echo = new EchoAgent(new InetSocketAddress("0.0.0.0", 9000), 1);
        MockKubelet kubelet = new MockKubelet(client)) {
      client.apiextensions().v1().customResourceDefinitions()
          .load(Path.of("crds/functions.klambda.dev-v1.yml").toFile()).create();
      client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("default").endMetadata()
          .build()).create();
      for (int f = 0; f < functions; f++) {
        client.resource(function("echo-" + f)).inNamespace("default").create();
      }
      System.out.printf(Locale.ROOT, "machine: %d CPUs, %s, JDK %s; %d connections over %d functions, %d warm-up"
          + " and %d measured invocations per row, %d-byte payloads%n%n",
          Runtime.getRuntime().availableProcessors(), System.getProperty("os.version"),
          System.getProperty("java.version"), connections, functions, warmup, requests, bodyBytes);
      System.out.println("| gateways (cores) | invocations/s | p50 (µs) | p99 (µs) | gateway CPU per invocation (µs) |");
      System.out.println("|---|---|---|---|---|");
      for (int count : gatewayCounts) {
        System.out.println(row(client.getMasterUrl().toString(), jar, count, cores, connections, functions, warmup, requests,
            body));
      }
    } finally {
      server.destroy();
    }
  }

  private static String row(String masterUrl, Path jar, int count, List<Integer> cores, int connections,
      int functions, int warmup, int requests, byte[] body) throws Exception {
    List<Process> gateways = new ArrayList<>();
    List<Integer> ports = new ArrayList<>();
    List<Integer> pinned = new ArrayList<>();
    try {
      for (int g = 0; g < count; g++) {
        int port = HttpStacks.freePort();
        int metricsPort = HttpStacks.freePort();
        int core = cores.get(g % cores.size());
        gateways.add(startGateway(masterUrl, jar, "bench-" + count + "-" + g, core, port, metricsPort));
        ports.add(port);
        pinned.add(core);
        awaitReady(metricsPort);
      }
      Thread.sleep(3000); // every replica sees every other before the load begins
      List<LoadGenerator.Target> targets = new ArrayList<>();
      for (int c = 0; c < connections; c++) {
        targets.add(new LoadGenerator.Target(ports.get(c % count),
            "/2015-03-31/functions/echo-" + (c % functions) + "/invocations"));
      }
      try (LoadGenerator load = new LoadGenerator(targets, body)) {
        load.run(warmup / connections);
        long cpuBefore = cpu(gateways);
        ClosedLoop.Run run = load.run(requests / connections);
        long cpu = cpu(gateways) - cpuBefore;
        return String.format(Locale.ROOT, "| %d (%s) | %.0f | %.0f | %.0f | %.1f |", count, pinned,
            run.requests() * 1e9 / run.wallNanos(), run.p50() / 1000.0, run.p99() / 1000.0,
            cpu / 1000.0 / run.requests());
      }
    } finally {
      for (Process gateway : gateways) {
        gateway.destroy(); // SIGTERM: the replica leaves in order, its environments stay for the next row
      }
      for (Process gateway : gateways) {
        gateway.waitFor();
      }
    }
  }

  private static long cpu(List<Process> processes) throws IOException {
    long sum = 0;
    for (Process process : processes) {
      sum += HttpStacks.cpuNanos(process.pid());
    }
    return sum;
  }

  private static Process startGateway(String masterUrl, Path jar, String identity, int core, int port,
      int metricsPort) throws IOException {
    List<String> command = List.of("taskset", "-c", Integer.toString(core),
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar.toString(), "gateway",
        "--bind", "127.0.0.1", "--port", Integer.toString(port), "--metrics-port", Integer.toString(metricsPort),
        "--identity", identity, "--lease-namespace", "default", "--namespaces", "default",
        "--queue-timeout-seconds", "30");
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(Path.of(System.getProperty("java.io.tmpdir"), identity + ".log").toFile());
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
          if (http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metricsPort + "/readyz")).build(),
              HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
            return;
          }
        } catch (IOException notYet) {
          // not listening yet
        }
        Thread.sleep(100);
      }
    }
    throw new IllegalStateException("a gateway was not ready within 60 s (its log is in java.io.tmpdir)");
  }

  /** A {@code provided} function whose environments the echo answers for: its code never runs. */
  private static GenericKubernetesResource function(String name) {
    return Serialization.unmarshal("""
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
        """.formatted(name), GenericKubernetesResource.class);
  }
}
