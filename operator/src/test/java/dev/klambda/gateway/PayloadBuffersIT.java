package dev.klambda.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.klambda.auth.InvokeGuard;
import dev.klambda.auth.PeerKey;
import dev.klambda.environments.AgentClient;
import dev.klambda.environments.Environment;
import dev.klambda.environments.EnvironmentManager;
import dev.klambda.environments.Settlements;
import dev.klambda.function.FunctionConfig;
import dev.klambda.function.TestFunctions;
import dev.klambda.membership.LoanApi;
import dev.klambda.routing.AsyncInvoker;
import dev.klambda.routing.EventJournal;
import dev.klambda.routing.FunctionRegistry;
import dev.klambda.routing.InvocationObserver;
import dev.klambda.routing.Ownership;
import dev.klambda.testing.FakeAgent;
import dev.klambda.testing.NettyLeaks;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Payloads through the gateway as they are (the caller's request to the agent, the agent's answer
 * to the caller, and the same across a forwarding replica or on an environment its owner lent):
 * byte for byte, and with every Netty buffer released whatever becomes of the invocation.
 */
class PayloadBuffersIT {
  private static final int SIX_MB = 6 * 1024 * 1024;
  private static final PeerKey PEERS = PeerKey.of("payload-buffers-test-key");
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  @Test
  void aSixMegabytePayloadRoundTripsByteExactDirectlyAndThroughAForwardingReplica()
      throws Exception {
    try (FakeAgent agent = new FakeAgent();
        Replica owner = new Replica(agent, Ownership.ALONE);
        Replica front = new Replica(agent, owner.owning("default/remote", "front"))) {
      for (int length : List.of(SIX_MB - 3, SIX_MB)) {
        byte[] payload = jsonString(length, length);
        for (String function : List.of("echo", "remote")) {
          HttpResponse<byte[]> answer = invoke(front, function, payload);
          assertThat(answer.statusCode()).as(function).isEqualTo(200);
          assertThat(Arrays.equals(answer.body(), payload))
              .as(function + ": byte for byte")
              .isTrue();
        }
      }
    }
  }

  /**
   * The owner's view of two replicas: it routes everything and lends to the other, {@code front},
   * whose address it learns once that starts.
   */
  private static final class Lending implements Ownership {
    volatile URI borrower;

    @Override
    public URI ownerOf(String key) {
      return null;
    }

    @Override
    public int replicas() {
      return 2;
    }

    @Override
    public boolean serves(String replica) {
      return true;
    }

    @Override
    public URI urlOf(String replica) {
      return replica.equals("front") ? borrower : null;
    }
  }

  @Test
  void noBufferLeaksWhateverBecomesOfAnInvocation() throws Exception {
    Lending lending = new Lending();
    try (NettyLeaks leaks = new NettyLeaks()) {
      try (FakeAgent agent = new FakeAgent();
          Replica owner = new Replica(agent, lending);
          Replica front = new Replica(agent, owner.owning("default/remote", "front"))) {
        lending.borrower = URI.create(front.gateway.baseUrl());
        byte[] oneMb = jsonString(1024 * 1024, 1);
        byte[] sixMb = jsonString(SIX_MB, 6);

        // answered from the event loop (small) and from a virtual thread (large), here and at the
        // owner of a forwarded function, one by one and at once
        for (int i = 0; i < 50; i++) {
          assertThat(invoke(front, "echo", ("{\"n\":" + i + "}").getBytes()).statusCode())
              .isEqualTo(200);
        }
        try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
          List<Future<Integer>> statuses = new ArrayList<>();
          for (int i = 0; i < 200; i++) {
            byte[] payload = i % 50 == 0 ? oneMb : ("{\"n\":" + i + "}").getBytes();
            String function = i % 2 == 0 ? "echo" : "remote";
            statuses.add(callers.submit(() -> invoke(front, function, payload).statusCode()));
          }
          for (Future<Integer> status : statuses) {
            assertThat(status.get()).isEqualTo(200);
          }
        }
        assertThat(owner.registry.router("remote").counts().lent())
            .as("remote's invocations at the front run on environments lent to it")
            .isPositive();
        for (String function : List.of("echo", "remote")) {
          assertThat(invoke(front, function, sixMb).body()).hasSize(SIX_MB);
          assertThat(invoke(front, function, oneMb).body()).hasSize(oneMb.length);
          assertThat(invoke(front, function, new byte[0]).body())
              .isEqualTo("{}".getBytes(StandardCharsets.UTF_8)); // Lambda's payload for none

          // a function error, an environment that refuses (tried three times), one lost mid-way
          HttpResponse<byte[]> failed = invoke(front, function, withStart("{\"fail\"", oneMb));
          assertThat(failed.statusCode()).isEqualTo(200);
          assertThat(failed.headers().firstValue("X-Amz-Function-Error")).hasValue("Unhandled");
          for (byte[] payload :
              List.of("{\"unavailable\":1}".getBytes(), withStart("{\"unavailable\"", oneMb))) {
            assertThat(invoke(front, function, payload).statusCode()).isEqualTo(500);
          }
          for (byte[] payload : List.of("{\"drop\":1}".getBytes(), withStart("{\"drop\"", oneMb))) {
            assertThat(invoke(front, function, payload).statusCode()).isEqualTo(500);
          }
        }

        // refused before any environment: not JSON, too large for the Invoke API or for the
        // gateway at all, a DryRun, and an Event, which keeps a copy of its own
        byte[] notJson = oneMb.clone();
        notJson[0] = 'x';
        assertThat(invoke(front, "echo", notJson).statusCode()).isEqualTo(400);
        assertThat(invoke(front, "echo", jsonString(SIX_MB + 1, 7)).statusCode()).isEqualTo(413);
        assertThat(invoke(front, "echo", jsonString(7 * 1024 * 1024 + 1, 8)).statusCode())
            .isEqualTo(413);
        assertThat(invoke(front, "echo", oneMb, "X-Amz-Invocation-Type", "DryRun").statusCode())
            .isEqualTo(204);
        byte[] event = jsonString(512 * 1024, 9);
        assertThat(invoke(front, "echo", event, "X-Amz-Invocation-Type", "Event").statusCode())
            .isEqualTo(202);

        // throttled at the limit while the only environment allowed is busy
        CompletableFuture<HttpResponse<byte[]>> held =
            CompletableFuture.supplyAsync(
                () -> invoke(front, "one", "{\"hold\":500}".getBytes()),
                task -> Thread.ofVirtual().start(task));
        await().until(() -> front.registry.router("one").counts().busy() == 1);
        assertThat(invoke(front, "one", oneMb).statusCode()).isEqualTo(429);
        assertThat(invoke(front, "one", "{}".getBytes()).statusCode()).isEqualTo(429);
        assertThat(held.get().statusCode()).isEqualTo(200);

        // a caller gone before its answer: it is written to a closed connection
        for (byte[] payload :
            List.of("{\"hold\":200}".getBytes(), withStart("{\"hold\":200}", oneMb))) {
          try (Socket socket = new Socket("127.0.0.1", front.gateway.address().getPort())) {
            OutputStream out = socket.getOutputStream();
            out.write(
                ("POST /2015-03-31/functions/echo/invocations HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        + "Content-Length: "
                        + payload.length
                        + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(payload);
            out.flush();
            await().until(() -> front.registry.router("echo").counts().busy() > 0);
          }
        }
        front.async.awaitQuiet(Duration.ofSeconds(10));
      } // the replicas stop once every request in flight is answered
      assertThat(leaks.found()).isEmpty();
    }
  }

  private HttpResponse<byte[]> invoke(
      Replica replica, String function, byte[] payload, String... headers) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(
                URI.create(
                    replica.gateway.baseUrl()
                        + "/2015-03-31/functions/"
                        + function
                        + "/invocations"))
            .timeout(Duration.ofSeconds(60))
            .POST(HttpRequest.BodyPublishers.ofByteArray(payload));
    if (headers.length > 0) {
      request.headers(headers);
    }
    try {
      return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (Exception e) {
      throw new AssertionError(function + " could not be invoked", e);
    }
  }

  /**
   * A JSON string of {@code length} bytes, quotes included: letters and digits from {@code seed}.
   */
  private static byte[] jsonString(int length, long seed) {
    byte[] alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".getBytes();
    Random random = new Random(seed);
    byte[] json = new byte[length];
    for (int i = 1; i < length - 1; i++) {
      json[i] = alphabet[random.nextInt(alphabet.length)];
    }
    json[0] = '"';
    json[length - 1] = '"';
    return json;
  }

  /**
   * {@code payload} made a JSON object whose first member the fake agent reads: {@code start}, then
   * {@code :payload}.
   */
  private static byte[] withStart(String start, byte[] payload) {
    byte[] head =
        (start.endsWith("}") ? start.substring(0, start.length() - 1) + ",\"x\":" : start + ":")
            .getBytes(StandardCharsets.US_ASCII);
    byte[] json = Arrays.copyOf(head, head.length + payload.length + 1);
    System.arraycopy(payload, 0, json, head.length, payload.length);
    json[json.length - 1] = '}';
    return json;
  }

  /**
   * A gateway replica on its own registry and agent client, its environments all answered by the
   * fake agent: it routes {@code echo} and {@code one} (at most one at a time), and {@code remote}
   * unless another replica owns it.
   */
  private static final class Replica implements AutoCloseable {
    final FunctionRegistry registry;
    final AsyncInvoker async;
    final Gateway gateway;

    Replica(FakeAgent agent, Ownership ownership) throws Exception {
      AgentClient agents = new AgentClient(Settlements.NONE);
      registry =
          new FunctionRegistry(
              new Environments(agent.address()),
              agents,
              InvocationObserver.NONE,
              "default",
              "us-east-1",
              1000,
              false,
              ownership,
              PEERS);
      async =
          new AsyncInvoker(
              registry,
              InvocationObserver.NONE,
              EventJournal.IN_MEMORY,
              Duration.ZERO,
              Duration.ofMinutes(1),
              Duration.ofSeconds(10),
              (namespace, destination) -> {
                throw new IllegalStateException("no destinations here");
              });
      gateway =
          new Gateway(
              new InetSocketAddress("127.0.0.1", 0),
              registry,
              async,
              Duration.ofSeconds(10),
              agents.eventLoops(),
              InvokeGuard.open(),
              PEERS);
      for (FunctionConfig function :
          List.of(
              TestFunctions.config("echo", null, 0, Duration.ofMinutes(5)),
              TestFunctions.config("one", 1, 0, Duration.ofMinutes(5)),
              TestFunctions.config("remote", null, 0, Duration.ofMinutes(5)))) {
        registry.deploy(function);
      }
      gateway.serve(LoanApi.PATH, new LoanApi(registry, PEERS));
      gateway.start();
    }

    /**
     * Ownership by which {@code key} is routed by this replica, and the rest by the asker, named
     * {@code asker} (so that this replica may lend it environments of {@code key}).
     */
    Ownership owning(String key, String asker) {
      URI self = URI.create(gateway.baseUrl());
      return new Ownership() {
        @Override
        public URI ownerOf(String asked) {
          return asked.equals(key) ? self : null;
        }

        @Override
        public String self() {
          return asker;
        }
      };
    }

    @Override
    public void close() {
      gateway.stop(Duration.ofSeconds(10));
      registry.close();
    }
  }

  /** Environments that start at once, all answered by one agent. */
  private record Environments(URI agent, AtomicInteger ids) implements EnvironmentManager {
    Environments(URI agent) {
      this(agent, new AtomicInteger());
    }

    @Override
    public CompletableFuture<Environment> start(FunctionConfig function, boolean provisioned) {
      return CompletableFuture.completedFuture(
          new Environment(
              "env-" + ids.incrementAndGet(), function, agent, new CompletableFuture<>()));
    }

    @Override
    public CompletableFuture<Void> stop(Environment environment) {
      environment.terminated().complete(null);
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public void close() {
      // nothing runs
    }
  }
}
