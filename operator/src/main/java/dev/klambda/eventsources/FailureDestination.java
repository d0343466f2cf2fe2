package dev.klambda.eventsources;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import software.amazon.awssdk.services.sqs.SqsClient;

/** Where records go that failed every retry. */
interface FailureDestination extends AutoCloseable {
  void send(String record);

  @Override
  default void close() {}

  /** Records are dropped (and the drop is logged): no destination was configured. */
  FailureDestination NONE = record -> System.err.println("klambda: dropped a record that failed all retries: " + record);

  static FailureDestination queue(SqsClient sqs, String queueUrl) {
    return new FailureDestination() {
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

  /** A topic on the source's cluster; a send waits for the broker's acknowledgement. */
  static FailureDestination topic(Properties producerProps, String topic) {
    return new FailureDestination() {
      private final KafkaProducer<String, String> producer = new KafkaProducer<>(producerProps);

      @Override
      public void send(String record) {
        try {
          producer.send(new ProducerRecord<>(topic, record)).get();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new KafkaException("interrupted while sending to " + topic, e);
        } catch (ExecutionException e) {
          throw new KafkaException("sending to " + topic + " failed: " + e.getCause().getMessage(), e.getCause());
        }
      }

      @Override
      public void close() {
        producer.close(Duration.ofSeconds(5));
      }
    };
  }

  static FailureDestination function(EventSink sink, String functionKey) {
    return record -> sink.submitEvent(functionKey, record.getBytes(StandardCharsets.UTF_8));
  }
}
