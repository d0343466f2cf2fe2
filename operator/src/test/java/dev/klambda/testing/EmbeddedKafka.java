package dev.klambda.testing;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.utils.Exit;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;

/**
 * A real Kafka (KRaft) node in the test JVM: one process acting as broker and controller, on two
 * loopback ports and a temporary data directory that it keeps for its whole life. {@link #stop()}
 * and {@link #start()} bring it down and up again on the same ports with the same data (committed
 * offsets and records survive), so a test can have the source down at first or restart it midway.
 *
 * <pre>{@code
 * try (EmbeddedKafka kafka = EmbeddedKafka.started()) {
 *   kafka.createTopic("orders", 2);
 *   ... kafka.bootstrapServers() ...
 * }
 * }</pre>
 *
 * <p>The node is {@link KafkaRaftServer}, the class {@code kafka-server-start.sh} runs, with the
 * data directory formatted once up front by {@link Formatter} (what {@code kafka-storage.sh format}
 * does), a static single-voter quorum, and the internal topics sized for one node. The broker's
 * logging is kept at WARN (src/test/resources/logback-test.xml).
 */
public final class EmbeddedKafka implements AutoCloseable {
  private static final int NODE_ID = 1;
  private static final String BROKER_LISTENER = "PLAINTEXT";
  private static final String CONTROLLER_LISTENER = "CONTROLLER";

  private final Path dir;
  private final int brokerPort;
  private final int controllerPort;
  private final Map<String, String> overrides;
  private final Map<String, String> clientProperties;
  private KafkaRaftServer server;
  private boolean closed;

  /** A stopped node on fresh ports and a fresh, formatted data directory; {@link #start()} it. */
  public EmbeddedKafka() {
    this(Map.of());
  }

  /**
   * A stopped node whose broker configuration has these entries on top of the defaults (for example
   * {@code auto.create.topics.enable=false} or a shorter {@code log.retention.ms}).
   */
  public EmbeddedKafka(Map<String, String> overrides) {
    this(overrides, Map.of());
  }

  /**
   * As above, with the settings this fixture's own admin client needs to reach the broker (its
   * start-up check and {@link #createTopic}), e.g. SASL when the broker listener asks for it.
   */
  public EmbeddedKafka(Map<String, String> overrides, Map<String, String> clientProperties) {
    this.overrides = Map.copyOf(overrides);
    this.clientProperties = Map.copyOf(clientProperties);
    try {
      dir = Files.createTempDirectory("embedded-kafka-");
      brokerPort = freePort();
      controllerPort = freePort();
      format();
    } catch (Exception e) {
      throw new IllegalStateException("could not prepare the Kafka data directory", e);
    }
  }

  /** A node on fresh ports, started. */
  public static EmbeddedKafka started() {
    return new EmbeddedKafka().start();
  }

  /** {@code localhost:port} of the broker listener; the same before, while and after it runs. */
  public String bootstrapServers() {
    return "localhost:" + brokerPort;
  }

  public int port() {
    return brokerPort;
  }

  public Path dataDir() {
    return dir;
  }

  public synchronized boolean isRunning() {
    return server != null;
  }

  /**
   * Starts the node (a no-op when it runs) and returns once the broker is registered, unfenced and
   * answers clients: usually 1-3 seconds.
   */
  public synchronized EmbeddedKafka start() {
    if (closed) {
      throw new IllegalStateException("closed");
    }
    if (server != null) {
      return this;
    }
    guardTheJvm();
    KafkaRaftServer raft = new KafkaRaftServer(new KafkaConfig(config(), false), Time.SYSTEM);
    try {
      raft.startup();
    } catch (RuntimeException e) {
      shutdown(raft);
      throw e;
    }
    server = raft;
    awaitClusterAnswers();
    return this;
  }

  /** Shuts the node down cleanly (a no-op when it is stopped); its ports and data stay its own. */
  public synchronized void stop() {
    if (server != null) {
      KafkaRaftServer raft = server;
      server = null;
      shutdown(raft);
    }
  }

  /** {@link #stop()} then {@link #start()}. */
  public EmbeddedKafka restart() {
    stop();
    return start();
  }

  /** Creates a topic with replication factor 1 and returns once each partition has its leader. */
  public void createTopic(String name, int partitions) {
    createTopic(name, partitions, Map.of());
  }

  /**
   * Creates a topic with these topic configs (for example {@code retention.ms}), and returns once
   * the broker leads every partition. Its metadata says so a moment before its replica manager
   * does; a producer writing in between gets NOT_LEADER_OR_FOLLOWER, and the idempotent producer's
   * retry can then wedge on OUT_OF_ORDER_SEQUENCE_NUMBER for good. Listing the partitions' end
   * offsets is answered by the replica manager itself, so it waits for the right moment.
   */
  public void createTopic(String name, int partitions, Map<String, String> configs) {
    try (Admin admin = admin()) {
      admin
          .createTopics(List.of(new NewTopic(name, partitions, (short) 1).configs(configs)))
          .all()
          .get(30, TimeUnit.SECONDS);
      Map<TopicPartition, OffsetSpec> ends = new HashMap<>();
      for (int partition = 0; partition < partitions; partition++) {
        ends.put(new TopicPartition(name, partition), OffsetSpec.latest());
      }
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (true) {
        try {
          admin.listOffsets(ends).all().get(30, TimeUnit.SECONDS);
          return;
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof RetriableException) || System.nanoTime() > deadline) {
            throw e;
          }
          Thread.sleep(50);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("could not create topic " + name, e);
    }
  }

  /** An admin client for this node; the caller closes it. */
  public Admin admin() {
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
    props.putAll(clientProperties);
    return Admin.create(props);
  }

  /** Stops the node and deletes its data directory. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    stop();
    closed = true;
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Map<String, Object> config() {
    Map<String, Object> props = new HashMap<>();
    props.put("process.roles", "broker,controller");
    props.put("node.id", Integer.toString(NODE_ID));
    props.put("controller.quorum.voters", NODE_ID + "@localhost:" + controllerPort);
    props.put(
        "listeners",
        BROKER_LISTENER
            + "://localhost:"
            + brokerPort
            + ","
            + CONTROLLER_LISTENER
            + "://localhost:"
            + controllerPort);
    props.put("advertised.listeners", BROKER_LISTENER + "://localhost:" + brokerPort);
    props.put(
        "listener.security.protocol.map",
        BROKER_LISTENER + ":PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
    props.put("inter.broker.listener.name", BROKER_LISTENER);
    props.put("controller.listener.names", CONTROLLER_LISTENER);
    props.put("log.dirs", dir.toString());
    props.put("metadata.log.dir", dir.toString());
    // one node: every internal topic with one replica, and few partitions to create and load
    props.put("offsets.topic.replication.factor", "1");
    props.put("offsets.topic.num.partitions", "1");
    props.put("transaction.state.log.replication.factor", "1");
    props.put("transaction.state.log.min.isr", "1");
    props.put("transaction.state.log.num.partitions", "1");
    props.put("share.coordinator.state.topic.replication.factor", "1");
    props.put("share.coordinator.state.topic.min.isr", "1");
    props.put("share.coordinator.state.topic.num.partitions", "1");
    props.put("num.partitions", "1");
    props.put("default.replication.factor", "1");
    props.put("min.insync.replicas", "1");
    // a consumer group's first join is not held back 3 s waiting for more members
    props.put("group.initial.rebalance.delay.ms", "0");
    // the log cleaner's dedupe buffer is 128 MiB by default
    props.put("log.cleaner.dedupe.buffer.size", Integer.toString(2 * 1024 * 1024));
    props.put("log.cleaner.threads", "1");
    props.put("num.network.threads", "2");
    props.put("num.io.threads", "2");
    props.put("background.threads", "2");
    props.put("num.recovery.threads.per.data.dir", "1");
    props.put("log.index.size.max.bytes", Integer.toString(1024 * 1024));
    props.putAll(overrides);
    return props;
  }

  /**
   * Writes meta.properties and the bootstrap metadata snapshot, as {@code kafka-storage.sh format}.
   */
  private void format() throws Exception {
    new Formatter()
        .setPrintStream(new PrintStream(PrintStream.nullOutputStream()))
        .setNodeId(NODE_ID)
        .setClusterId(Uuid.randomUuid().toString())
        .setDirectories(List.of(dir.toString()))
        .setMetadataLogDirectory(dir.toString())
        .setControllerListenerName(CONTROLLER_LISTENER)
        .run();
  }

  /** The broker answers a client (describeCluster lists it). */
  private void awaitClusterAnswers() {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    try (Admin admin = admin()) {
      while (true) {
        try {
          if (!admin.describeCluster().nodes().get(10, TimeUnit.SECONDS).isEmpty()) {
            return;
          }
        } catch (ExecutionException | TimeoutException e) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException("the Kafka broker did not answer", e);
          }
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("the Kafka broker lists no nodes");
        }
        Thread.sleep(50);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static void shutdown(KafkaRaftServer raft) {
    raft.shutdown();
    raft.awaitShutdown();
  }

  /**
   * Kafka's fatal-fault path halts the process ({@code Exit.halt}): in a test JVM that would kill
   * the Surefire/Failsafe fork without a word. Make it throw instead, so the failure reaches the
   * test.
   */
  private static void guardTheJvm() {
    Exit.setHaltProcedure((status, message) -> refuse("halt", status, message));
    Exit.setExitProcedure((status, message) -> refuse("exit", status, message));
  }

  private static void refuse(String what, int status, String message) {
    String text = "embedded Kafka asked to " + what + " the JVM (" + status + "): " + message;
    System.err.println(text);
    throw new IllegalStateException(text);
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    }
  }
}
