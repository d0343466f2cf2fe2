package dev.klambda.destinations;

import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * Sends records (JSON text) to a destination: a mapping's records that failed every retry, a
 * function's invocation records. A send that returns has been accepted; one that fails throws.
 */
public interface RecordSender extends AutoCloseable {
  void send(String record);

  @Override
  default void close() {}

  /**
   * Records of {@code owner} (a mapping or function) are dropped and the drop logged: no
   * destination was configured.
   */
  static RecordSender dropping(String owner) {
    return record ->
        LoggerFactory.getLogger(RecordSender.class)
            .warn(
                "{}: dropped a record that failed all retries (no destination): {}", owner, record);
  }

  static RecordSender queue(SqsClient sqs, String queueUrl) {
    return new RecordSender() {
      @Override
      public void send(String record) {
        sqs.sendMessage(r -> r.queueUrl(queueUrl).messageBody(record));
      }

      @Override
      public void close() {
        sqs.close();
      }
    };
  }

  /** A topic; a send waits for the broker's acknowledgement. */
  static RecordSender topic(Properties producerProps, String topic) {
    return new RecordSender() {
      private final KafkaProducer<String, String> producer = new KafkaProducer<>(producerProps);

      @Override
      public void send(String record) {
        try {
          producer.send(new ProducerRecord<>(topic, record)).get();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new KafkaException("interrupted while sending to " + topic, e);
        } catch (ExecutionException e) {
          throw new KafkaException(
              "sending to " + topic + " failed: " + e.getCause().getMessage(), e.getCause());
        }
      }

      @Override
      public void close() {
        producer.close(Duration.ofSeconds(5));
      }
    };
  }
}
