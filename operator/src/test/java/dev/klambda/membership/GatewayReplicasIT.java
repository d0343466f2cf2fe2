package dev.klambda.membership;

import static dev.klambda.testing.Manifests.bashRuntime;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.klambda.GatewayMode;
import dev.klambda.OperatorMode;
import dev.klambda.api.Function;
import dev.klambda.api.FunctionStatus;
import dev.klambda.kubelet.KubeletFixture;
import dev.klambda.routing.FunctionRouter;
import dev.klambda.testing.InvocationLoad;
import dev.klambda.testing.LambdaClients;
import dev.klambda.testing.Manifests;
import dev.klambda.testing.MockCluster;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvocationType;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;

/**
 * Two gateway replicas and one operator on the mock API server with the kubelet fixture playing the
 * Pods. Each function is routed by one replica, the other forwards to it: the limits hold across
 * both, scale to zero happens once, and a replica that is killed or rolled loses no invocation it
 * accepted.
 */
class GatewayReplicasIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final String SLOW_ECHO =
      bashRuntime(
          "",
          """
        sleep 0.2
        respond "$1" "$2"
      """);

  /** Appends each event to the file {@code $EVENT_LOG}, one line each. */
  private static final String RECORDER =
      bashRuntime(
          "",
          """
        sleep 0.3
        echo "$2" >> "$EVENT_LOG"
        respond "$1" "{}"
      """);

  /** Callers of the load: more than one request in flight at a replica that goes. */
  private static final int CALLERS = 3;

  @TempDir Path dir;
  private MockCluster cluster;
  private KubernetesClient client;
  private KubeletFixture kubelet;
  private OperatorMode operator;
  private final Map<String, GatewayMode> replicas = new ConcurrentHashMap<>();
  private final List<LambdaClient> lambdas = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() throws Exception {
    cluster = new MockCluster();
    client = cluster.client();
    client
        .namespaces()
        .resource(
            new NamespaceBuilder().withNewMetadata().withName("klambda").endMetadata().build())
        .create();
    kubelet = new KubeletFixture(client, dir.resolve("kubelet"));
    operator = cluster.startControlPlane(startReplica("gateway-a"));
    startReplica("gateway-b");
    awaitMembers(2);
  }

  @AfterEach
  void stop() {
    lambdas.forEach(LambdaClient::close);
    operator.close();
    replicas.values().forEach(GatewayMode::close);
    kubelet.close();
    cluster.close();
  }

  private GatewayMode startReplica(String identity) throws Exception {
    GatewayMode replica = cluster.startGateway(identity);
    replicas.put(identity, replica);
    return replica;
  }

  private void awaitMembers(int count) {
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                replicas.values().stream()
                    .allMatch(r -> r.members().members().size() == count && ready(r)));
  }

  private static boolean ready(GatewayMode replica) {
    try {
      return HTTP.send(
                  HttpRequest.newBuilder(URI.create(replica.readinessUrl())).build(),
                  HttpResponse.BodyHandlers.discarding())
              .statusCode()
          == 200;
    } catch (Exception e) {
      return false;
    }
  }

  private void apply(String name, Map<String, Object> spec) {
    apply(name, SLOW_ECHO, spec);
  }

  private void apply(String name, String code, Map<String, Object> spec) {
    client
        .resource(JSON.convertValue(Manifests.provided(name, code, spec), Function.class))
        .inNamespace("default")
        .create();
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                client
                            .resources(Function.class)
                            .inNamespace("default")
                            .withName(name)
                            .get()
                            .getStatus()
                        instanceof FunctionStatus status
                    && status.getConditions() != null
                    && status.getConditions().stream()
                        .anyMatch(
                            c -> c.getType().equals("Ready") && c.getStatus().equals("True")));
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                replicas.values().stream()
                    .allMatch(
                        r ->
                            r.registry().routers().stream()
                                    .anyMatch(x -> x.function().name().equals(name))
                                || hasFunction(r, name)));
  }

  private static boolean hasFunction(GatewayMode replica, String name) {
    try {
      replica.registry().find(name);
      return true;
    } catch (Exception e) {
      return false;
    }
  }

  private int pods(String function) {
    return client
        .pods()
        .inNamespace("default")
        .withLabel("klambda.dev/function", function)
        .list()
        .getItems()
        .size();
  }

  /** The replicas that have a router for the function: exactly one routes it. */
  private List<String> routing(String function) {
    List<String> routing = new ArrayList<>();
    replicas.forEach(
        (name, replica) -> {
          if (replica.registry().router(function) != null) {
            routing.add(name);
          }
        });
    return routing;
  }

  private LambdaClient lambda(GatewayMode replica) {
    LambdaClient lambda = LambdaClients.of(replica.gateway().baseUrl());
    lambdas.add(lambda);
    return lambda;
  }

  private static InvokeResponse invoke(LambdaClient lambda, String function, int i) {
    return lambda.invoke(
        r -> r.functionName(function).payload(SdkBytes.fromUtf8String("{\"n\":" + i + "}")));
  }

  @Test
  void reservedConcurrencyHoldsAcrossReplicasAndScaleToZeroHappensOnce() throws Exception {
    // queueing at the limit: every caller is answered, and the limit is what is measured
    apply(
        "capped", Map.of("reservedConcurrency", 2, "idleTimeoutSeconds", 2, "queueAtLimit", true));
    assertThat(routing("default/capped")).hasSize(1);
    List<LambdaClient> clients = replicas.values().stream().map(this::lambda).toList();
    AtomicInteger answered = new AtomicInteger();
    AtomicInteger mostPods = new AtomicInteger();
    AtomicBoolean loading = new AtomicBoolean(true);
    Thread sampler =
        Thread.ofVirtual()
            .start(
                () -> {
                  while (loading.get()) {
                    mostPods.accumulateAndGet(pods("capped"), Math::max);
                  }
                });
    List<Thread> callers = new ArrayList<>();
    for (int c = 0; c < 6; c++) {
      LambdaClient lambda = clients.get(c % clients.size());
      int caller = c;
      callers.add(
          Thread.ofVirtual()
              .start(
                  () -> {
                    for (int i = 0; i < 5; i++) {
                      InvokeResponse response = invoke(lambda, "capped", caller * 100 + i);
                      assertThat(response.payload().asUtf8String())
                          .isEqualTo("{\"n\":" + (caller * 100 + i) + "}");
                      answered.incrementAndGet();
                    }
                  }));
    }
    for (Thread caller : callers) {
      caller.join();
    }
    loading.set(false);
    sampler.join();

    assertThat(answered).hasValue(30);
    assertThat(mostPods.get())
        .as("environments of a function with reservedConcurrency 2, both replicas invoking")
        .isBetween(1, 2);
    await().atMost(Duration.ofSeconds(30)).until(() -> pods("capped") == 0);
    String owner = routing("default/capped").getFirst();
    assertThat(replicas.get(owner).registry().router("default/capped").counts())
        .as("the owner stopped them, and only it knew them")
        .satisfies(c -> assertThat(c.idle() + c.busy()).isZero());
  }

  private String other(String replica) {
    return replicas.keySet().stream().filter(r -> !r.equals(replica)).findFirst().orElseThrow();
  }

  private FunctionRouter.Counts counts(String replica, String function) {
    return replicas.get(replica).registry().router(function).counts();
  }

  @Test
  void aReplicaRunsAFunctionRoutedElsewhereOnLoansThatTheOwnerRecallsAndGetsBack()
      throws Exception {
    apply("lent", Map.of("idleTimeoutSeconds", 2));
    String owner = routing("default/lent").getFirst();
    String borrower = other(owner);
    LambdaClient viaBorrower = lambda(replicas.get(borrower));
    assertThat(invoke(viaBorrower, "lent", 0).payload().asUtf8String()).isEqualTo("{\"n\":0}");
    await().atMost(Duration.ofSeconds(10)).until(() -> counts(owner, "default/lent").lent() == 1);

    Thread running = Thread.ofVirtual().start(() -> invoke(viaBorrower, "lent", 1));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                replicas.get(borrower).registry().borrowedBusy().getOrDefault("default/lent", 0)
                    == 1);
    running.join();
    for (int i = 2; i < 6; i++) {
      assertThat(invoke(viaBorrower, "lent", i).payload().asUtf8String())
          .isEqualTo("{\"n\":" + i + "}");
    }
    assertThat(pods("lent")).as("one environment served every invocation").isEqualTo(1);
    // lent and idle at the borrower (recalled) or given back by now: either way no cold start
    assertThat(invoke(lambda(replicas.get(owner)), "lent", 6).payload().asUtf8String())
        .isEqualTo("{\"n\":6}");
    assertThat(pods("lent"))
        .as("the owner's caller ran on the environment it had lent, not on a cold start")
        .isEqualTo(1);

    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(counts(owner, "default/lent").lent())
                    .as("given back once idle at the borrower")
                    .isZero());
    await().atMost(Duration.ofSeconds(30)).until(() -> pods("lent") == 0);
    assertThat(counts(owner, "default/lent"))
        .as("scaled to zero by the owner, once")
        .isEqualTo(new FunctionRouter.Counts(0, 0, 0, 0));
  }

  @Test
  void whatAKilledReplicaBorrowedIsReclaimedByTheOwner() throws Exception {
    apply("reclaimed", Map.of("reservedConcurrency", 2, "idleTimeoutSeconds", 60));
    String owner = routing("default/reclaimed").getFirst();
    String borrower = other(owner);
    LambdaClient viaBorrower = lambda(replicas.get(borrower));
    invoke(viaBorrower, "reclaimed", 0);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> counts(owner, "default/reclaimed").lent() == 1);

    replicas.remove(borrower).crash();

    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> counts(owner, "default/reclaimed").equals(new FunctionRouter.Counts(0, 1, 0, 0)));
    LambdaClient viaOwner = lambda(replicas.get(owner));
    List<Thread> pair =
        IntStream.range(0, 2)
            .mapToObj(
                n ->
                    Thread.ofVirtual()
                        .start(
                            () ->
                                assertThat(invoke(viaOwner, "reclaimed", n).statusCode())
                                    .isEqualTo(200)))
            .toList();
    for (Thread call : pair) {
      call.join();
    }
    assertThat(pods("reclaimed"))
        .as("the reclaimed environment and at most one more: reservedConcurrency 2")
        .isBetween(1, 2);
  }

  @Test
  void aKilledReplicaLosesNothingAcceptedAndTheOtherTakesOverItsFunctions() throws Exception {
    apply("echo", Map.of());
    String owner = routing("default/echo").getFirst();
    String survivor = owner.equals("gateway-a") ? "gateway-b" : "gateway-a";
    LambdaClient viaSurvivor = lambda(replicas.get(survivor));
    // more environments than callers: some idle at the crash, some busy
    List<Thread> burst =
        IntStream.range(0, 2 * CALLERS)
            .mapToObj(n -> Thread.ofVirtual().start(() -> invoke(viaSurvivor, "echo", n)))
            .toList();
    for (Thread call : burst) {
      call.join();
    }

    InvocationLoad load = new InvocationLoad(() -> viaSurvivor, "echo", CALLERS);
    Thread.sleep(1000);
    Set<String> running = runningPods("echo");
    assertThat(running).hasSizeGreaterThanOrEqualTo(2 * CALLERS);
    replicas.remove(owner).crash();
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> routing("default/echo").equals(List.of(survivor)));
    Thread.sleep(500);
    load.stop();

    assertThat(load.failures).as("requests the survivor accepted while the owner died").isEmpty();
    assertThat(load.retried.size())
        .as("only the requests in flight at the dead owner, one per caller, failed")
        .isLessThanOrEqualTo(CALLERS);
    assertThat(load.answered.get()).isGreaterThan(4);
    assertThat(runningPods("echo"))
        .as("the owner's environments, idle or busy at its death, adopted")
        .containsAll(running);
  }

  @Test
  void theEventsOfAKilledReplicaRunFromTheirCopies() throws Exception {
    Path log = Files.createFile(dir.resolve("events.log"));
    apply(
        "recorder",
        RECORDER,
        Map.of(
            "reservedConcurrency",
            1,
            "environment",
            Map.of("variables", Map.of("EVENT_LOG", log.toString()))));
    LambdaClient viaDoomed = lambda(replicas.get("gateway-a"));
    int events = 20;
    for (int n = 0; n < events; n++) {
      int i = n;
      assertThat(
              viaDoomed
                  .invoke(
                      r ->
                          r.functionName("recorder")
                              .invocationType(InvocationType.EVENT)
                              .payload(SdkBytes.fromUtf8String("{\"n\":" + i + "}")))
                  .statusCode())
          .isEqualTo(202);
    }
    replicas.remove("gateway-a").crash();

    Set<String> expected =
        IntStream.range(0, events).mapToObj(n -> "{\"n\":" + n + "}").collect(Collectors.toSet());
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () ->
                assertThat(Files.readAllLines(log))
                    .as("every accepted event ran, at least once")
                    .containsAll(expected));
  }

  @Test
  void aRollingRestartUnderLoadLosesNothing() throws Exception {
    apply("echo", Map.of());
    Map<String, LambdaClient> clients = new ConcurrentHashMap<>();
    // a Service: each request goes to a replica that reports ready
    Supplier<LambdaClient> service =
        () -> {
          List<GatewayMode> ready =
              replicas.values().stream().filter(GatewayReplicasIT::ready).toList();
          GatewayMode chosen = ready.get((int) (Math.random() * ready.size()));
          return clients.computeIfAbsent(chosen.gateway().baseUrl(), url -> lambda(chosen));
        };
    InvocationLoad load = new InvocationLoad(service, "echo", CALLERS);

    for (String old : List.of("gateway-a", "gateway-b")) {
      Thread.sleep(700);
      startReplica(old + "-next");
      awaitMembers(3);
      // as a Pod that terminates: its endpoint goes first (the preStop sleep), then SIGTERM
      GatewayMode stopping = replicas.remove(old);
      Thread.sleep(300);
      stopping.close();
      awaitMembers(2);
    }
    Thread.sleep(700);
    load.stop();

    assertThat(load.failures).isEmpty();
    assertThat(load.retried).as("a replica that leaves in order fails nothing").isEmpty();
    assertThat(load.answered.get()).isGreaterThan(10);
    assertThat(routing("default/echo")).hasSize(1);
  }

  private Set<String> runningPods(String function) {
    return client
        .pods()
        .inNamespace("default")
        .withLabel("klambda.dev/function", function)
        .list()
        .getItems()
        .stream()
        .filter(
            p ->
                p.getStatus() != null
                    && p.getStatus().getPodIP() != null
                    && p.getMetadata().getDeletionTimestamp() == null)
        .map(p -> p.getMetadata().getName())
        .collect(Collectors.toSet());
  }
}
