package dev.klambda.eventsources;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.klambda.destinations.SecretSource;
import dev.klambda.environments.InvocationResult;
import dev.klambda.environments.InvocationResult.Outcome;
import dev.klambda.eventsources.filter.RecordFilter;
import dev.klambda.eventsources.schedule.SchedulePoller;
import dev.klambda.function.Destination;
import dev.klambda.metering.PrometheusMetrics;
import dev.klambda.testing.EmbeddedKafka;
import dev.klambda.testing.PrometheusText;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Kafka sources against Kafka's own KRaft broker in this JVM, through kafka-clients: the poller
 * under test invokes a fake function that records each batch, so what was delivered, retried,
 * committed or sent to the destination is checked exactly.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KafkaSourceIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Lambda's default: what the stand-in function is given. */
  private static final Duration FUNCTION_TIMEOUT = Duration.ofSeconds(3);

  private final EmbeddedKafka kafka = new EmbeddedKafka();
  private final List<List<JsonNode>> batches = new CopyOnWriteArrayList<>();
  private volatile Function<List<JsonNode>, InvocationResult> function = records -> ok("{}");
  private PrometheusMetrics metrics;
  private final List<EventSourceManager> managers = new ArrayList<>();
  private KafkaProducer<String, String> producer;
  private String topic;

  @BeforeAll
  void startBroker() {
    kafka.start();
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    producer = new KafkaProducer<>(props);
  }

  @AfterAll
  void stopBroker() {
    producer.close();
    kafka.close();
  }

  @BeforeEach
  void freshFunction() {
    batches.clear();
    function = records -> ok("{}");
    metrics = new PrometheusMetrics();
  }

  @AfterEach
  void stopPollers() {
    managers.forEach(EventSourceManager::close);
    managers.clear();
  }

  private EventSourceManager manager() {
    return manager(SecretSource.NONE);
  }

  private EventSourceManager manager(SecretSource secrets) {
    EventSourceManager manager =
        new EventSourceManager(
            (key, payload) -> {},
            (key, payload) -> {
              List<JsonNode> records = new ArrayList<>();
              try {
                JSON.readTree(payload)
                    .get("records")
                    .forEach(partition -> partition.forEach(records::add));
              } catch (java.io.IOException e) {
                throw new AssertionError("the event is not JSON", e);
              }
              batches.add(records);
              return function.apply(records);
            },
            metrics.mappings(),
            secrets,
            "us-east-1",
            Clock.systemUTC(),
            SchedulePoller.Sleeper.REAL);
    managers.add(manager);
    return manager;
  }

  private String newTopic(int partitions) {
    topic = "orders-" + UUID.randomUUID().toString().substring(0, 8);
    kafka.createTopic(topic, partitions);
    return topic;
  }

  private MappingConfig mapping(
      int batchSize,
      int windowSeconds,
      int retries,
      boolean bisect,
      boolean reportFailures,
      Destination onFailure) {
    return mapping(
        1, true, batchSize, windowSeconds, retries, bisect, reportFailures, onFailure, List.of());
  }

  private MappingConfig mapping(
      long generation,
      boolean enabled,
      int batchSize,
      int windowSeconds,
      int retries,
      boolean bisect,
      boolean reportFailures,
      Destination onFailure,
      List<String> filters) {
    return new MappingConfig(
        "default",
        "orders",
        "group-" + topic,
        generation,
        "report",
        enabled,
        batchSize,
        Duration.ofSeconds(windowSeconds),
        retries,
        bisect,
        reportFailures,
        null,
        2,
        RecordFilter.of(filters),
        new MappingConfig.Kafka(kafka.bootstrapServers(), topic, null, null, "TRIM_HORIZON"),
        onFailure);
  }

  /** Sends in one go and waits until the broker has every record. */
  private void sendAll(List<ProducerRecord<String, String>> records) throws Exception {
    List<Future<?>> sent = records.stream().<Future<?>>map(producer::send).toList();
    for (Future<?> record : sent) {
      record.get(30, TimeUnit.SECONDS);
    }
  }

  private void send(String... values) throws Exception {
    for (String value : values) {
      producer.send(new ProducerRecord<>(topic, value)).get();
    }
  }

  private static InvocationResult ok(String payload) {
    return new InvocationResult(
        Outcome.SUCCESS, payload.getBytes(StandardCharsets.UTF_8), null, null, 1000, 0);
  }

  private static InvocationResult error() {
    return new InvocationResult(
        Outcome.ERROR,
        "{\"errorType\":\"Boom\",\"errorMessage\":\"failed\"}".getBytes(StandardCharsets.UTF_8),
        "Boom",
        null,
        1000,
        0);
  }

  private static String value(JsonNode record) {
    return new String(
        Base64.getDecoder().decode(record.get("value").asText()), StandardCharsets.UTF_8);
  }

  private List<String> delivered() {
    return batches.stream().flatMap(List::stream).map(KafkaSourceIT::value).toList();
  }

  private Map<TopicPartition, Long> committedByPartition() throws Exception {
    try (Admin admin = kafka.admin()) {
      Map<TopicPartition, Long> offsets =
          new TreeMap<>(Comparator.comparing(TopicPartition::toString));
      admin
          .listConsumerGroupOffsets("group-" + topic)
          .partitionsToOffsetAndMetadata()
          .get(10, TimeUnit.SECONDS)
          .forEach(
              (partition, offset) -> offsets.put(partition, offset == null ? -1 : offset.offset()));
      return offsets;
    }
  }

  private Map<Integer, Long> deliveredByPartition() {
    return new TreeMap<>(
        batches.stream()
            .flatMap(List::stream)
            .collect(
                Collectors.groupingBy(r -> r.get("partition").asInt(), Collectors.counting())));
  }

  /** The group's committed offsets, summed over the topic's partitions. */
  private long committed() throws Exception {
    try (Admin admin = kafka.admin()) {
      Map<TopicPartition, OffsetAndMetadata> offsets =
          admin
              .listConsumerGroupOffsets("group-" + topic)
              .partitionsToOffsetAndMetadata()
              .get(10, TimeUnit.SECONDS);
      return offsets.values().stream()
          .filter(o -> o != null)
          .mapToLong(OffsetAndMetadata::offset)
          .sum();
    }
  }

  @Test
  void recordsArriveInBatchesOfTheBatchSizeAndAreCommittedAfterSuccess() throws Exception {
    newTopic(2);
    List<ProducerRecord<String, String>> produced = new ArrayList<>();
    for (int i = 0; i < 250; i++) {
      produced.add(new ProducerRecord<>(topic, "key-" + (i % 7), "m" + i));
    }
    sendAll(produced);
    manager().apply(mapping(100, 0, -1, false, false, null), FUNCTION_TIMEOUT);

    await().atMost(Duration.ofSeconds(30)).until(() -> committed() == 250);
    assertThat(delivered()).hasSize(250).doesNotHaveDuplicates();
    assertThat(batches).allSatisfy(batch -> assertThat(batch).hasSizeLessThanOrEqualTo(100));
    JsonNode first = batches.getFirst().getFirst();
    assertThat(first.get("topic").asText()).isEqualTo(topic);
    assertThat(first.has("key")).isTrue();
    assertThat(first.get("timestampType").asText()).isEqualTo("CREATE_TIME");
    // within a partition, records come in offset order
    for (int partition = 0; partition < 2; partition++) {
      int p = partition;
      List<Long> offsets =
          batches.stream()
              .flatMap(List::stream)
              .filter(r -> r.get("partition").asInt() == p)
              .map(r -> r.get("offset").asLong())
              .toList();
      assertThat(offsets).isSorted();
    }
    var scraped = PrometheusText.parse(metrics.scrape());
    assertThat(
            PrometheusText.value(
                scraped, "klambda_esm_events_polled_total", Map.of("mapping", "orders")))
        .isEqualTo(250.0);
    assertThat(PrometheusText.value(scraped, "klambda_esm_offset_lag", Map.of("mapping", "orders")))
        .isEqualTo(0.0);
  }

  @Test
  void partitionsAreProcessedConcurrentlyUpToTheMaximumConcurrencyEachInOrder() throws Exception {
    newTopic(4);
    List<ProducerRecord<String, String>> produced = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      produced.add(new ProducerRecord<>(topic, i % 4, null, "p" + (i % 4) + "-" + i));
    }
    sendAll(produced);
    AtomicInteger inFlight = new AtomicInteger();
    AtomicInteger most = new AtomicInteger();
    function =
        records -> {
          most.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
          try {
            // until a second consumer has partitions (its rebalance takes a few polls), each batch
            // waits a while for company, so the test does not depend on how fast the machine is
            long until = System.nanoTime() + Duration.ofSeconds(2).toNanos();
            while (most.get() < 2 && System.nanoTime() < until) {
              Thread.sleep(10);
              most.accumulateAndGet(inFlight.get(), Math::max);
            }
            Thread.sleep(20);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          inFlight.decrementAndGet();
          return ok("{}");
        };
    manager()
        .apply(mapping(5, 0, -1, false, false, null), FUNCTION_TIMEOUT); // maximumConcurrency 2

    try {
      await().atMost(Duration.ofSeconds(120)).until(() -> committed() == 400);
    } catch (ConditionTimeoutException e) {
      throw new AssertionError(
          "not all committed: "
              + committedByPartition()
              + ", most in flight "
              + most.get()
              + ", records delivered per partition "
              + deliveredByPartition(),
          e);
    }
    assertThat(most.get()).as("two consumers, one batch in flight each").isEqualTo(2);
    for (int partition = 0; partition < 4; partition++) {
      int p = partition;
      assertThat(
              batches.stream()
                  .flatMap(List::stream)
                  .filter(r -> r.get("partition").asInt() == p)
                  .map(r -> r.get("offset").asLong())
                  .distinct()
                  .toList())
          .isSorted()
          .hasSize(100);
    }
  }

  @Test
  void theBatchingWindowGathersRecordsIntoOneInvocation() throws Exception {
    newTopic(1);
    manager().apply(mapping(100, 3, -1, false, false, null), FUNCTION_TIMEOUT);
    Thread.sleep(1500); // the consumer has joined the group and waits at the end of the topic
    send("a", "b", "c");

    await().atMost(Duration.ofSeconds(20)).until(() -> delivered().size() == 3);
    assertThat(batches).hasSize(1);
  }

  @Test
  void withReportBatchItemFailuresOnlyRecordsFromTheFailedOffsetOnAreRetried() throws Exception {
    newTopic(1);
    send("r0", "r1", "r2", "r3");
    List<String> firstAttempt = new CopyOnWriteArrayList<>();
    function =
        records -> {
          if (firstAttempt.isEmpty()) {
            records.forEach(r -> firstAttempt.add(value(r)));
            JsonNode failed = records.get(2);
            return ok(
                "{\"batchItemFailures\":[{\"itemIdentifier\":{\"partition\":"
                    + failed.get("partition").asInt()
                    + ",\"offset\":"
                    + failed.get("offset").asLong()
                    + "}}]}");
          }
          return ok("{\"batchItemFailures\":[]}");
        };
    manager().apply(mapping(10, 1, 3, false, true, null), FUNCTION_TIMEOUT);

    await().atMost(Duration.ofSeconds(20)).until(() -> committed() == 4);
    assertThat(firstAttempt).containsExactly("r0", "r1", "r2", "r3");
    assertThat(batches).hasSize(2);
    assertThat(batches.get(1)).extracting(KafkaSourceIT::value).containsExactly("r2", "r3");
  }

  @Test
  void aPoisonedRecordIsBisectedOutRetriedAndSentToTheTopicDestination() throws Exception {
    newTopic(1);
    String dlq = topic + "-failures";
    kafka.createTopic(dlq, 1);
    send("ok-1", "ok-2", "poison", "ok-3");
    function =
        records -> records.stream().anyMatch(r -> value(r).equals("poison")) ? error() : ok("null");
    manager()
        .apply(
            mapping(10, 1, 1, true, false, new Destination.ToTopic(dlq, null, null)),
            FUNCTION_TIMEOUT);

    await().atMost(Duration.ofSeconds(30)).until(() -> committed() == 4);
    assertThat(delivered()).contains("ok-1", "ok-2", "ok-3");
    List<String> failures = readAll(dlq, 1);
    JsonNode failure = JSON.readTree(failures.getFirst());
    assertThat(failure.at("/requestContext/condition").asText())
        .isEqualTo("RetryAttemptsExhausted");
    assertThat(failure.at("/requestContext/approximateInvokeCount").asInt()).isEqualTo(2);
    assertThat(failure.at("/responseContext/functionError").asText()).isEqualTo("Unhandled");
    assertThat(failure.at("/KafkaBatchInfo/topic").asText()).isEqualTo(topic);
    assertThat(failure.at("/KafkaBatchInfo/batchSize").asInt()).isEqualTo(1);
    JsonNode record = failure.at("/payload/records/" + topic + "-0").get(0);
    assertThat(value(record)).isEqualTo("poison");
    var scraped = PrometheusText.parse(metrics.scrape());
    assertThat(
            PrometheusText.value(
                scraped,
                "klambda_esm_events_sent_to_destination_total",
                Map.of("mapping", "orders")))
        .isEqualTo(1.0);
  }

  @Test
  void aStoppedPollerCommitsNothingOfItsBatchAndTheNextOneDeliversItAgain() throws Exception {
    newTopic(1);
    send("x1", "x2", "x3");
    CountDownLatch invoked = new CountDownLatch(1);
    CountDownLatch never = new CountDownLatch(1);
    function =
        records -> {
          invoked.countDown();
          try {
            never.await(); // the operator stops while the function runs
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          return ok("{}");
        };
    EventSourceManager first = manager();
    first.apply(mapping(10, 0, -1, false, false, null), FUNCTION_TIMEOUT);
    assertThat(invoked.await(20, TimeUnit.SECONDS)).isTrue();
    first.close();
    assertThat(committed()).isZero();

    batches.clear();
    function = records -> ok("{}");
    metrics = new PrometheusMetrics();
    manager().apply(mapping(10, 0, -1, false, false, null), FUNCTION_TIMEOUT);

    await().atMost(Duration.ofSeconds(30)).until(() -> committed() == 3);
    assertThat(delivered()).containsExactly("x1", "x2", "x3");
  }

  @Test
  void disablingKeepsThePositionAndEnablingResumesFromIt() throws Exception {
    newTopic(1);
    EventSourceManager manager = manager();
    manager.apply(mapping(1, true, 10, 0, -1, false, false, null, List.of()), FUNCTION_TIMEOUT);
    send("before");
    await().atMost(Duration.ofSeconds(20)).until(() -> committed() == 1);

    manager.apply(mapping(2, false, 10, 0, -1, false, false, null, List.of()), FUNCTION_TIMEOUT);
    assertThat(manager.isRunning("default/orders")).isFalse();
    send("while-disabled-1", "while-disabled-2");
    Thread.sleep(1000);
    assertThat(delivered()).containsExactly("before");

    manager.apply(mapping(3, true, 10, 0, -1, false, false, null, List.of()), FUNCTION_TIMEOUT);
    await().atMost(Duration.ofSeconds(30)).until(() -> committed() == 3);
    assertThat(delivered()).containsExactly("before", "while-disabled-1", "while-disabled-2");
  }

  @Test
  void recordsNoFilterMatchesAreCommittedWithoutAnInvocation() throws Exception {
    newTopic(1);
    send(
        "{\"type\":\"order\",\"amount\":150}",
        "{\"type\":\"refund\",\"amount\":150}",
        "not json",
        "{\"type\":\"order\",\"amount\":5}");
    manager()
        .apply(
            mapping(
                1,
                true,
                10,
                1,
                -1,
                false,
                false,
                null,
                List.of(
                    "{\"value\":{\"type\":[\"order\"],\"amount\":[{\"numeric\":[\">\",100]}]}}")),
            FUNCTION_TIMEOUT);

    await().atMost(Duration.ofSeconds(20)).until(() -> committed() == 4);
    assertThat(delivered()).containsExactly("{\"type\":\"order\",\"amount\":150}");
    var scraped = PrometheusText.parse(metrics.scrape());
    assertThat(
            PrometheusText.value(
                scraped, "klambda_esm_events_filtered_total", Map.of("mapping", "orders")))
        .isEqualTo(3.0);
  }

  @Test
  void aSourceThatIsDownAtStartIsReadOnceItComesUp() throws Exception {
    try (EmbeddedKafka later = new EmbeddedKafka()) {
      topic = "late";
      MappingConfig mapping =
          new MappingConfig(
              "default",
              "late",
              "group-late",
              1,
              "report",
              true,
              10,
              Duration.ZERO,
              -1,
              false,
              false,
              null,
              2,
              RecordFilter.of(List.of()),
              new MappingConfig.Kafka(later.bootstrapServers(), "late", null, null, "TRIM_HORIZON"),
              null);
      EventSourceManager manager = manager();
      manager.apply(mapping, FUNCTION_TIMEOUT);
      Thread.sleep(2000);
      assertThat(batches).isEmpty();

      later.start();
      later.createTopic("late", 1);
      Properties props = new Properties();
      props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, later.bootstrapServers());
      try (var lateProducer =
          new KafkaProducer<String, String>(
              props, new StringSerializer(), new StringSerializer())) {
        lateProducer.send(new ProducerRecord<>("late", "finally")).get();
      }
      await().atMost(Duration.ofSeconds(60)).until(() -> delivered().contains("finally"));
      manager.close();
    }
  }

  @Test
  void saslCredentialsComeFromTheSecretWrongOnesAreReportedAsRejectedAndARotatedSecretIsPickedUp()
      throws Exception {
    String jaas =
        "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"admin\" "
            + "password=\"admin-secret\" user_admin=\"admin-secret\" user_alice=\"alice-secret\";";
    try (EmbeddedKafka secured =
        new EmbeddedKafka(
            Map.of(
                "listener.security.protocol.map",
                "PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT",
                "sasl.enabled.mechanisms",
                "PLAIN",
                "sasl.mechanism.inter.broker.protocol",
                "PLAIN",
                "listener.name.plaintext.plain.sasl.jaas.config",
                jaas),
            Map.of(
                "security.protocol",
                "SASL_PLAINTEXT",
                "sasl.mechanism",
                "PLAIN",
                "sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required "
                    + "username=\"admin\" password=\"admin-secret\";"))) {
      secured.start();
      Map<String, String> alice =
          Map.of(
              "securityProtocol",
              "SASL_PLAINTEXT",
              "saslMechanism",
              "PLAIN",
              "username",
              "alice",
              "password",
              "alice-secret");
      Properties props = new Properties();
      props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, secured.bootstrapServers());
      props.put("security.protocol", "SASL_PLAINTEXT");
      props.put("sasl.mechanism", "PLAIN");
      props.put(
          "sasl.jaas.config",
          "org.apache.kafka.common.security.plain.PlainLoginModule required "
              + "username=\"alice\" password=\"alice-secret\";");
      try (var secureProducer =
          new KafkaProducer<String, String>(
              props, new StringSerializer(), new StringSerializer())) {
        secureProducer
            .send(new ProducerRecord<>("private", "secret-order"))
            .get(); // creates the topic
      }
      Map<String, Map<String, String>> stored =
          new ConcurrentHashMap<>(
              Map.of(
                  "alice",
                  alice,
                  "mallory",
                  Map.of(
                      "securityProtocol",
                      "SASL_PLAINTEXT",
                      "saslMechanism",
                      "PLAIN",
                      "username",
                      "alice",
                      "password",
                      "guessed")));
      SecretSource secrets = (namespace, name) -> stored.get(name);
      EventSourceManager manager = manager(secrets);
      manager.apply(kafkaMapping("trusted", secured, "alice"), FUNCTION_TIMEOUT);
      manager.apply(kafkaMapping("guessing", secured, "mallory"), FUNCTION_TIMEOUT);

      await().atMost(Duration.ofSeconds(30)).until(() -> delivered().contains("secret-order"));
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  String.valueOf(manager.lastProcessingResult("default/guessing"))
                      .startsWith("PROBLEM: credentials rejected"));
      assertThat(delivered()).containsExactly("secret-order");

      // the Secret is corrected (rotated): the next apply of the same generation picks it up
      stored.put("mallory", alice);
      manager.apply(kafkaMapping("guessing", secured, "mallory"), FUNCTION_TIMEOUT);
      await().atMost(Duration.ofSeconds(30)).until(() -> delivered().size() == 2);
      assertThat(delivered()).containsExactly("secret-order", "secret-order");
      manager.close();
    }
  }

  private MappingConfig kafkaMapping(String name, EmbeddedKafka broker, String secret) {
    return new MappingConfig(
        "default",
        name,
        "group-" + name,
        1,
        "report",
        true,
        10,
        Duration.ZERO,
        -1,
        false,
        false,
        null,
        2,
        RecordFilter.of(List.of()),
        new MappingConfig.Kafka(broker.bootstrapServers(), "private", null, secret, "TRIM_HORIZON"),
        null);
  }

  private List<String> readAll(String fromTopic, int expected) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    props.put(ConsumerConfig.GROUP_ID_CONFIG, "reader-" + UUID.randomUUID());
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    List<String> values = new ArrayList<>();
    try (var consumer =
        new KafkaConsumer<String, String>(
            props, new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of(fromTopic));
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (values.size() < expected && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(r -> values.add(r.value()));
      }
    }
    assertThat(values).hasSize(expected);
    return values;
  }
}
