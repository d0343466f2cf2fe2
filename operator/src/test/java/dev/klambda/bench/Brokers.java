package dev.klambda.bench;

import dev.klambda.testing.EmbeddedKafka;
import java.net.ServerSocket;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.IntStream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.elasticmq.NodeAddress;
import org.elasticmq.rest.sqs.SQSRestServer;
import org.elasticmq.rest.sqs.SQSRestServerBuilder;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;

/**
 * The two brokers in this JVM, an embedded Kafka (KRaft) node and ElasticMQ, with a producer for
 * each: topics and queues are made per run; messages are ids ({@code prefix + i}), enqueued as fast
 * as possible or at a steady rate.
 */
final class Brokers implements AutoCloseable {
  private final EmbeddedKafka kafka;
  private final KafkaProducer<String, String> producer;
  private final SQSRestServer elasticMq;
  private final String sqsEndpoint;
  private final SqsClient sqs;

  /**
   * @param kafkaOverrides broker settings on top of EmbeddedKafka's, for experiments
   */
  Brokers(Map<String, String> kafkaOverrides) throws Exception {
    kafka = new EmbeddedKafka(kafkaOverrides).start();
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    props.put(ProducerConfig.LINGER_MS_CONFIG, "0"); // the record's timestamp is taken at send()
    producer = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer());
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    elasticMq =
        SQSRestServerBuilder.withPort(port)
            .withInterface("127.0.0.1")
            .withServerAddress(new NodeAddress("http", "127.0.0.1", port, ""))
            .start();
    elasticMq.waitUntilStarted();
    sqsEndpoint = "http://127.0.0.1:" + port;
    sqs =
        SqsClient.builder()
            .region(Region.US_EAST_1)
            .endpointOverride(URI.create(sqsEndpoint))
            .credentialsProvider(AnonymousCredentialsProvider.create())
            .httpClient(UrlConnectionHttpClient.builder().build())
            .build();
  }

  /** A new topic (one partition) or queue; returns the topic name or the queue URL. */
  String create(String source, String name) {
    if (source.equals("kafka")) {
      kafka.createTopic(name, 1);
      return name;
    }
    return sqs.createQueue(
            r -> r.queueName(name).attributes(Map.of(QueueAttributeName.VISIBILITY_TIMEOUT, "120")))
        .queueUrl();
  }

  /** The mapping's {@code spec.source} for that topic or queue. */
  Map<String, Object> mappingSource(String source, String target, String groupId) {
    return source.equals("kafka")
        ? Map.of(
            "kafka",
            Map.of(
                "bootstrapServers",
                kafka.bootstrapServers(),
                "topic",
                target,
                "consumerGroupId",
                groupId))
        : Map.of("sqs", Map.of("queueUrl", target, "endpoint", sqsEndpoint, "region", "us-east-1"));
  }

  /**
   * Enqueues ids prefix0 .. prefix(n-1): with rate 0 as fast as possible (Kafka: one producer, SQS:
   * SendMessageBatch of 10 from 4 threads) and returns once all are stored; else one at a time at
   * {@code rate} per second.
   */
  void enqueue(String source, String target, String prefix, int n, int rate) throws Exception {
    long start = System.nanoTime();
    if (source.equals("kafka")) {
      for (int i = 0; i < n; i++) {
        pace(start, i, rate);
        producer.send(new ProducerRecord<>(target, prefix + i));
      }
      producer.flush();
    } else if (rate > 0) {
      for (int i = 0; i < n; i++) {
        pace(start, i, rate);
        String body = prefix + i;
        sqs.sendMessage(r -> r.queueUrl(target).messageBody(body));
      }
    } else {
      List<Future<?>> sent = new ArrayList<>();
      try (var pool = Executors.newFixedThreadPool(4)) {
        for (int from = 0; from < n; from += 10) {
          List<SendMessageBatchRequestEntry> entries =
              IntStream.range(from, Math.min(n, from + 10))
                  .mapToObj(
                      i ->
                          SendMessageBatchRequestEntry.builder()
                              .id("e" + i)
                              .messageBody(prefix + i)
                              .build())
                  .toList();
          sent.add(
              pool.submit(() -> sqs.sendMessageBatch(r -> r.queueUrl(target).entries(entries))));
        }
      }
      for (Future<?> f : sent) {
        f.get(); // a failed send fails the run
      }
    }
  }

  private static void pace(long startNanos, int i, int rate) {
    if (rate > 0) {
      long due = startNanos + i * 1_000_000_000L / rate;
      while (System.nanoTime() < due) {
        LockSupport.parkNanos(due - System.nanoTime());
      }
    }
  }

  @Override
  public void close() {
    producer.close();
    sqs.close();
    kafka.close();
    elasticMq
        .stopAndGetFuture()
        .apply(); // stopAndWait can wait a minute for keep-alive connections
  }
}
