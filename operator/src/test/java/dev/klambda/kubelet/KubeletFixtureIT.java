package dev.klambda.kubelet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.klambda.environments.CodeConfigMap;
import dev.klambda.environments.EnvironmentPodTemplate;
import dev.klambda.function.CodeSource;
import dev.klambda.function.FunctionConfig;
import dev.klambda.function.SizingPolicy;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kubelet fixture against the fabric8 mock API server (CRUD mode) with the Pods the operator
 * builds ({@link EnvironmentPodTemplate}) and the real agent.
 */
class KubeletFixtureIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String NAMESPACE = "default";
  private static final Duration START = Duration.ofSeconds(30);

  /** AWS's custom runtime tutorial: answers every event with {"echo": event}. */
  private static final String ECHO_BOOTSTRAP =
      """
      #!/bin/bash
      api="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
      while true; do h="$(mktemp)"; e="$(curl -sS -D "$h" "$api/invocation/next")"; \
      id="$(grep -Fi Lambda-Runtime-Aws-Request-Id "$h" | tr -d '[:space:]' | cut -d: -f2)"; \
      curl -sS -X POST "$api/invocation/$id/response" -d "{\\"echo\\":$e}" >/dev/null; done
      """;

  @TempDir Path dir;
  private KubernetesMockServer server;
  private KubernetesClient client;
  private KubeletFixture kubelet;
  private final HttpClient http =
      HttpClient.newBuilder()
          .proxy(HttpClient.Builder.NO_PROXY)
          .connectTimeout(Duration.ofSeconds(2))
          .build();

  /** The agents' output when a test fails. */
  @RegisterExtension
  final TestWatcher agentLogs =
      new TestWatcher() {
        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
          if (client == null || kubelet == null) {
            return;
          }
          Path logs = dir.resolve("kubelet").resolve("logs");
          try (var files = Files.list(logs)) {
            files.forEach(
                f -> {
                  try {
                    System.out.println("---- " + f.getFileName());
                    Files.readAllLines(f).forEach(System.out::println);
                  } catch (java.io.IOException ignored) {
                    // best effort
                  }
                });
          } catch (java.io.IOException | RuntimeException ignored) {
            // no logs
          }
        }
      };

  @BeforeEach
  void start() {
    server =
        new KubernetesMockServer(
            new Context(),
            new MockWebServer(),
            new HashMap<>(),
            new KubernetesCrudDispatcher(),
            false);
    server.init();
    // the JDK client explicitly: the vert.x factory is on the class path too (josdk)
    client = server.createClient(new JdkHttpClientFactory());
    kubelet = new KubeletFixture(client, dir.resolve("kubelet"));
  }

  @AfterEach
  void stop() {
    if (kubelet != null) {
      kubelet.close();
    }
    if (client != null) {
      client.close();
    }
    if (server != null) {
      server.destroy();
    }
    http.close();
  }

  @Test
  void podGetsAnIpBecomesReadyAndAnswersInvocations() throws Exception {
    Pod pod = deploy(function("echo", Map.of("bootstrap", bytes(ECHO_BOOTSTRAP))));
    String name = pod.getMetadata().getName();
    assertThat(name).startsWith("echo-");

    Pod ready = awaitReady(name);
    String ip = ready.getStatus().getPodIP();
    assertThat(ip).startsWith("127.").isNotEqualTo("127.0.0.1");
    assertThat(ready.getStatus().getPhase()).isEqualTo("Running");
    assertThat(ready.getStatus().getHostIP()).isEqualTo("127.0.0.1");
    // the agent's CPU request is below its limit: klambda's overhead is not the function's budget
    assertThat(ready.getStatus().getQosClass()).isEqualTo("Burstable");
    assertThat(condition(ready, "ContainersReady")).isEqualTo("True");
    ContainerStatus container = ready.getStatus().getContainerStatuses().get(0);
    assertThat(container.getName()).isEqualTo("agent");
    assertThat(container.getReady()).isTrue();
    assertThat(container.getState().getRunning()).isNotNull();
    assertThat(kubelet.runningAgents()).isEqualTo(1);
    assertThat(kubelet.process(name)).get().extracting(ProcessHandle::isAlive).isEqualTo(true);

    HttpResponse<String> response = invoke(ip, "r1", "{\"a\":1}");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(response.body())).isEqualTo(JSON.readTree("{\"echo\":{\"a\":1}}"));
    assertThat(response.headers().firstValue("Klambda-Outcome")).contains("success");

    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () ->
                assertThat(kubelet.logs(name))
                    .anyMatch(line -> line.startsWith("START RequestId: r1"))
                    .anyMatch(line -> line.startsWith("END RequestId: r1")));
    assertThat(kubelet.logFile(name))
        .get()
        .satisfies(file -> assertThat(Files.readString(file)).contains("END RequestId: r1"));
  }

  @Test
  void deletingThePodSigtermsTheAgentAndItsRuntime() throws Exception {
    Pod pod = deploy(function("echo", Map.of("bootstrap", bytes(ECHO_BOOTSTRAP))));
    String name = pod.getMetadata().getName();
    String ip = awaitReady(name).getStatus().getPodIP();
    assertThat(invoke(ip, "r1", "{\"a\":1}").statusCode()).isEqualTo(200);
    ProcessHandle agent = kubelet.process(name).orElseThrow();
    // the runtime runs in the function's container, started there by its launcher
    List<ProcessHandle> runtime = kubelet.launcher(name).orElseThrow().descendants().toList();
    assertThat(runtime).as("the bootstrap and its curl").isNotEmpty();
    assertThat(agent.descendants().toList())
        .as("nothing of the function's in the agent's container")
        .isEmpty();

    client.pods().inNamespace(NAMESPACE).withName(name).delete();

    // grace period: timeout 3 s + 5 s; SIGTERM ends the agent well within it
    await().atMost(Duration.ofSeconds(8)).until(() -> !agent.isAlive());
    assertThat(kubelet.exitCode(name)).as("a clean shutdown on SIGTERM").contains(0);
    // killed children are reaped by their new parent a moment after the agent exits
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> runtime.stream().noneMatch(ProcessHandle::isAlive));
    assertThat(kubelet.runningAgents()).isZero();
    assertThat(client.pods().inNamespace(NAMESPACE).withName(name).get()).isNull();
  }

  @Test
  void evictionKillsTheAgentAndFailsThePod() throws Exception {
    Pod pod = deploy(function("echo", Map.of("bootstrap", bytes(ECHO_BOOTSTRAP))));
    String name = pod.getMetadata().getName();
    awaitReady(name);
    ProcessHandle agent = kubelet.process(name).orElseThrow();

    kubelet.evict(NAMESPACE, name);

    assertThat(agent.isAlive()).isFalse();
    Pod evicted = client.pods().inNamespace(NAMESPACE).withName(name).get();
    assertThat(evicted).as("an evicted pod stays until deleted").isNotNull();
    assertThat(evicted.getStatus().getPhase()).isEqualTo("Failed");
    assertThat(evicted.getStatus().getReason()).isEqualTo("Evicted");
    assertThat(condition(evicted, "Ready")).isEqualTo("False");
    assertThat(condition(evicted, "DisruptionTarget")).isEqualTo("True");
    assertThat(kubelet.exitCode(name)).as("128 + SIGKILL").contains(137);
    assertThat(kubelet.runningAgents()).isZero();
  }

  @Test
  void anAgentThatDiesFailsThePodWithItsExitCode() throws Exception {
    Pod pod = deploy(function("echo", Map.of("bootstrap", bytes(ECHO_BOOTSTRAP))));
    String name = pod.getMetadata().getName();
    awaitReady(name);

    kubelet.kill(name);

    Pod failed = awaitPod(name, p -> "Failed".equals(phase(p)));
    ContainerStatus container = failed.getStatus().getContainerStatuses().get(0);
    assertThat(container.getState().getTerminated().getExitCode()).isEqualTo(137);
    assertThat(container.getReady()).isFalse();
    assertThat(condition(failed, "Ready")).isEqualTo("False");
    assertThat(failed.getStatus().getReason()).isNull();
  }

  /** Without a readiness probe the Pod is Ready; the agent is where a failed Init shows. */
  @Test
  void initFailureIsReportedByTheAgentWhileThePodRuns() throws Exception {
    String bootstrap =
        """
        #!/bin/bash
        api="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
        curl -sS -X POST "$api/init/error" -H "Lambda-Runtime-Function-Error-Type: Runtime.ConfigError" \
          -d '{"errorMessage":"missing configuration","errorType":"Runtime.ConfigError"}'
        sleep 60
        """;
    Pod pod = deploy(function("broken", Map.of("bootstrap", bytes(bootstrap))));
    String name = pod.getMetadata().getName();
    String ip =
        awaitPod(name, p -> p.getStatus() != null && p.getStatus().getPodIP() != null)
            .getStatus()
            .getPodIP();

    await().atMost(START).until(() -> get("http://" + ip + ":9000/klambda/ready") == 500);
    Pod running = client.pods().inNamespace(NAMESPACE).withName(name).get();
    assertThat(phase(running)).isEqualTo("Running");
    assertThat(condition(running, "Ready")).isEqualTo("True");
    assertThat(kubelet.logs(name)).anyMatch(line -> line.contains("Status: error"));
  }

  @Test
  void codeInTheImageCannotBePlayed() {
    FunctionConfig function =
        new FunctionConfig(
            NAMESPACE,
            "imaged",
            "uid-imaged",
            1,
            "provided",
            "",
            new CodeSource.FromImage("example.com/fn:1"),
            128,
            Duration.ofSeconds(3),
            Duration.ofSeconds(10),
            Map.of(),
            null,
            0,
            Duration.ofMinutes(5),
            null);
    Pod pod =
        client.pods().inNamespace(NAMESPACE).resource(template().build(function, false)).create();

    Pod failed = awaitPod(pod.getMetadata().getName(), p -> "Failed".equals(phase(p)));
    assertThat(failed.getStatus().getMessage()).contains("code in the image");
    assertThat(kubelet.process(pod.getMetadata().getName())).isEmpty();
  }

  @Test
  void theTaskRootHoldsTheConfigMapWithItsModesAndTheContainerEnvironment() throws Exception {
    byte[] binary = {0, (byte) 0xff, (byte) 0xfe, 1, 2, 3};
    String bootstrap =
        """
        #!/bin/bash
        api="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
        while true; do h="$(mktemp)"; e="$(curl -sS -D "$h" "$api/invocation/next")"; \
        id="$(grep -Fi Lambda-Runtime-Aws-Request-Id "$h" | tr -d '[:space:]' | cut -d: -f2)"; \
        cd "$LAMBDA_TASK_ROOT"; \
        body="{\\"bootstrap\\":\\"$(stat -c %a bootstrap)\\",\\"text\\":\\"$(stat -c %a lib/text.txt)\\",\
        \\"content\\":\\"$(cat lib/text.txt)\\",\\"binary\\":\\"$(od -An -tx1 lib/data.bin | tr -d ' \\n')\\",\
        \\"greeting\\":\\"$GREETING\\",\\"tmp\\":\\"$(test -w "$TMPDIR" && echo writable)\\"}"; \
        curl -sS -X POST "$api/invocation/$id/response" -d "$body" >/dev/null; done
        """;
    Map<String, byte[]> files = new LinkedHashMap<>();
    files.put("bootstrap", bytes(bootstrap));
    files.put("lib/text.txt", bytes("héllo"));
    files.put("lib/data.bin", binary);
    FunctionConfig function =
        new FunctionConfig(
            NAMESPACE,
            "files",
            "uid-files",
            1,
            "provided",
            "",
            new CodeSource.Inline(files),
            128,
            Duration.ofSeconds(3),
            Duration.ofSeconds(10),
            Map.of("GREETING", "hi"),
            null,
            0,
            Duration.ofMinutes(5),
            null);
    Pod pod = deploy(function);

    String ip = awaitReady(pod.getMetadata().getName()).getStatus().getPodIP();
    HttpResponse<String> response = invoke(ip, "r1", "{}");

    assertThat(response.statusCode()).isEqualTo(200);
    JsonNode body = JSON.readTree(response.body());
    assertThat(body.path("bootstrap").asText()).isEqualTo("555");
    assertThat(body.path("text").asText()).isEqualTo("444");
    assertThat(body.path("content").asText()).isEqualTo("héllo");
    assertThat(body.path("binary").asText()).isEqualTo("00fffe010203");
    assertThat(body.path("greeting").asText()).isEqualTo("hi");
    assertThat(body.path("tmp").asText()).isEqualTo("writable");
  }

  @Test
  void severalPodsAtOnceEachGetTheirOwnAddress() throws Exception {
    FunctionConfig function = function("echo", Map.of("bootstrap", bytes(ECHO_BOOTSTRAP)));
    client.configMaps().inNamespace(NAMESPACE).resource(code(function)).create();
    List<String> names =
        IntStream.range(0, 3)
            .parallel()
            .mapToObj(
                i ->
                    client
                        .pods()
                        .inNamespace(NAMESPACE)
                        .resource(template().build(function, false))
                        .create()
                        .getMetadata()
                        .getName())
            .toList();

    List<String> ips = names.stream().map(n -> awaitReady(n).getStatus().getPodIP()).toList();

    assertThat(ips).doesNotHaveDuplicates();
    assertThat(kubelet.runningAgents()).isEqualTo(3);
    for (int i = 0; i < ips.size(); i++) {
      HttpResponse<String> response = invoke(ips.get(i), "r" + i, "{\"n\":" + i + "}");
      assertThat(JSON.readTree(response.body()).path("echo").path("n").asInt()).isEqualTo(i);
    }
  }

  @Test
  void aPodCreatedBeforeItsConfigMapWaitsForIt() throws Exception {
    FunctionConfig function = function("late", Map.of("bootstrap", bytes(ECHO_BOOTSTRAP)));
    String name =
        client
            .pods()
            .inNamespace(NAMESPACE)
            .resource(template().build(function, false))
            .create()
            .getMetadata()
            .getName();
    Pod pending = awaitPod(name, p -> p.getStatus() != null && p.getStatus().getPhase() != null);
    assertThat(phase(pending)).isEqualTo("Pending");
    assertThat(
            pending.getStatus().getContainerStatuses().get(0).getState().getWaiting().getReason())
        .isEqualTo("ContainerCreating");

    client.configMaps().inNamespace(NAMESPACE).resource(code(function)).create();

    String ip = awaitReady(name).getStatus().getPodIP();
    assertThat(invoke(ip, "r1", "{\"a\":1}").statusCode()).isEqualTo(200);
  }

  // ---------------------------------------------------------------- helpers

  private static FunctionConfig function(String name, Map<String, byte[]> files) {
    return new FunctionConfig(
        NAMESPACE,
        name,
        "uid-" + name,
        1,
        "provided",
        "",
        new CodeSource.Inline(files),
        128,
        Duration.ofSeconds(3),
        Duration.ofSeconds(10),
        Map.of(),
        null,
        0,
        Duration.ofMinutes(5),
        null);
  }

  private static EnvironmentPodTemplate template() {
    return new EnvironmentPodTemplate("klambda/runtime:test", SizingPolicy.DEFAULT, "us-east-1");
  }

  private static io.fabric8.kubernetes.api.model.ConfigMap code(FunctionConfig function) {
    return CodeConfigMap.build(
        function.namespace(), function.name(), ((CodeSource.Inline) function.code()).files());
  }

  /** The code ConfigMap, then the Pod, as the operator creates them. */
  private Pod deploy(FunctionConfig function) {
    client.configMaps().inNamespace(NAMESPACE).resource(code(function)).create();
    return client
        .pods()
        .inNamespace(NAMESPACE)
        .resource(template().build(function, false))
        .create();
  }

  /** Ready, and its agent's Init over: what the router waits for before it invokes. */
  private Pod awaitReady(String name) {
    Pod ready =
        awaitPod(
            name, p -> "True".equals(condition(p, "Ready")) && p.getStatus().getPodIP() != null);
    await()
        .atMost(START)
        .until(
            () ->
                get("http://" + ready.getStatus().getPodIP() + ":9000/klambda/ready?waitMs=1000")
                    == 200);
    return ready;
  }

  private Pod awaitPod(String name, java.util.function.Predicate<Pod> condition) {
    return await()
        .atMost(START)
        .pollInterval(Duration.ofMillis(50))
        .until(
            () -> client.pods().inNamespace(NAMESPACE).withName(name).get(),
            p -> p != null && condition.test(p));
  }

  private static String phase(Pod pod) {
    return pod.getStatus() == null ? null : pod.getStatus().getPhase();
  }

  private static String condition(Pod pod, String type) {
    if (pod.getStatus() == null || pod.getStatus().getConditions() == null) {
      return null;
    }
    Optional<PodCondition> condition =
        pod.getStatus().getConditions().stream().filter(c -> type.equals(c.getType())).findFirst();
    return condition.map(PodCondition::getStatus).orElse(null);
  }

  private HttpResponse<String> invoke(String ip, String requestId, String event) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://" + ip + ":9000/klambda/invoke"))
            .header("Klambda-Request-Id", requestId)
            .timeout(Duration.ofSeconds(10))
            .POST(HttpRequest.BodyPublishers.ofString(event))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private int get(String uri) {
    try {
      return http.send(
              HttpRequest.newBuilder(URI.create(uri)).timeout(Duration.ofSeconds(3)).build(),
              HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (Exception e) {
      return -1;
    }
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
