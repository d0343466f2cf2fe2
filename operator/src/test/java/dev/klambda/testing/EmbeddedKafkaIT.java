package dev.klambda.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** The in-JVM Kafka node: topics, a producer, a consumer group, and a restart that keeps both. */
class EmbeddedKafkaIT {
  private static final String TOPIC = "orders";
  private static final String GROUP = "embedded-kafka-it";

  @Test
  void recordsAndCommittedOffsetsSurviveARestartOnTheSamePort() throws Exception {
    try (EmbeddedKafka kafka = new EmbeddedKafka()) {
      String bootstrap = kafka.bootstrapServers();
      assertThat(kafka.isRunning()).isFalse();

      long started = System.nanoTime();
      kafka.start();
      System.out.printf("embedded Kafka started in %d ms%n", elapsedMs(started));
      kafka.createTopic(TOPIC, 2);

      produce(kafka, 0, 10);
      List<ConsumerRecord<String, String>> first = new ArrayList<>();
      try (KafkaConsumer<String, String> consumer = consumer(kafka)) {
        consumer.subscribe(List.of(TOPIC));
        pollUntil(consumer, first, 10);
        consumer.commitSync();
      }
      assertThat(first)
          .extracting(ConsumerRecord::value)
          .containsExactlyInAnyOrder(values(0, 10).toArray(String[]::new));
      assertThat(first).extracting(ConsumerRecord::partition).containsOnly(0, 1).contains(0, 1);

      long stopped = System.nanoTime();
      kafka.stop();
      System.out.printf("embedded Kafka stopped in %d ms%n", elapsedMs(stopped));
      assertThat(kafka.isRunning()).isFalse();

      long restarted = System.nanoTime();
      kafka.start();
      System.out.printf("embedded Kafka restarted in %d ms%n", elapsedMs(restarted));
      assertThat(kafka.bootstrapServers()).isEqualTo(bootstrap);

      // the group's committed offsets survived: 5 per partition
      try (var admin = kafka.admin()) {
        Map<TopicPartition, OffsetAndMetadata> committed =
            admin
                .listConsumerGroupOffsets(GROUP)
                .partitionsToOffsetAndMetadata()
                .get(30, TimeUnit.SECONDS);
        assertThat(committed.values()).extracting(OffsetAndMetadata::offset).containsOnly(5L);
      }

      produce(kafka, 10, 20);
      List<ConsumerRecord<String, String>> second = new ArrayList<>();
      try (KafkaConsumer<String, String> consumer = consumer(kafka)) {
        consumer.subscribe(List.of(TOPIC));
        pollUntil(consumer, second, 10);
        // nothing beyond the new ten arrives
        consumer.poll(Duration.ofMillis(500)).forEach(second::add);
        consumer.commitSync();
      }
      assertThat(second)
          .extracting(ConsumerRecord::value)
          .containsExactlyInAnyOrder(values(10, 20).toArray(String[]::new));
    }
  }

  @Test
  void clientsWaitForANodeThatStartsLater() throws Exception {
    try (EmbeddedKafka kafka = new EmbeddedKafka()) {
      Properties props = new Properties();
      props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
      props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 60_000);
      try (KafkaProducer<String, String> producer =
          new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
        // send() itself blocks (up to max.block.ms) while it has no metadata for the topic
        CompletableFuture<RecordMetadata> pending =
            CompletableFuture.supplyAsync(
                () -> {
                  try {
                    return producer.send(new ProducerRecord<>("late", "k", "v")).get();
                  } catch (Exception e) {
                    throw new CompletionException(e);
                  }
                },
                // not the common pool: one worker on two cores, which this wait would hold
                task -> Thread.ofVirtual().start(task));
        Thread.sleep(1_000);
        assertThat(pending).isNotDone();
        kafka.start(); // the broker auto-creates "late" on the producer's metadata request
        assertThat(pending.get(60, TimeUnit.SECONDS).topic()).isEqualTo("late");
      }
    }
  }

  private static void produce(EmbeddedKafka kafka, int from, int to) throws Exception {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
      for (int i = from; i < to; i++) {
        // explicit partitions: 5 records each, whatever the keys hash to
        producer
            .send(new ProducerRecord<>(TOPIC, i % 2, "key-" + i, "value-" + i))
            .get(30, TimeUnit.SECONDS);
      }
    }
  }

  private static KafkaConsumer<String, String> consumer(EmbeddedKafka kafka) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    props.put(ConsumerConfig.GROUP_ID_CONFIG, GROUP);
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    return new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer());
  }

  private static void pollUntil(
      KafkaConsumer<String, String> consumer,
      List<ConsumerRecord<String, String>> into,
      int count) {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (into.size() < count) {
      assertThat(System.nanoTime())
          .as("%d records by now, got %s", count, into)
          .isLessThan(deadline);
      consumer.poll(Duration.ofMillis(200)).forEach(into::add);
    }
  }

  private static List<String> values(int from, int to) {
    List<String> values = new ArrayList<>();
    for (int i = from; i < to; i++) {
      values.add("value-" + i);
    }
    return values;
  }

  private static long elapsedMs(long since) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - since);
  }
}
