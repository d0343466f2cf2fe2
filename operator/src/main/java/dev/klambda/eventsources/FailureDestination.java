package dev.klambda.eventsources;

import java.nio.charset.StandardCharsets;
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

  static FailureDestination function(EventSink sink, String functionKey) {
    return record -> sink.submitEvent(functionKey, record.getBytes(StandardCharsets.UTF_8));
  }
}
