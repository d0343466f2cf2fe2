package dev.klambda.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** Where invocation records go: exactly one of sqs, kafka and function. */
public class EventDestination {
  @JsonPropertyDescription("An SQS queue.")
  private SqsDestination sqs;

  @JsonPropertyDescription(
      "A Kafka topic: an EventSourceMapping's is on its source's cluster, a Function's on "
          + "the cluster it names.")
  private KafkaDestination kafka;

  @JsonPropertyDescription(
      "A Function in this namespace, invoked asynchronously (Event) with the record.")
  private FunctionDestination function;

  public SqsDestination getSqs() {
    return sqs;
  }

  public void setSqs(SqsDestination sqs) {
    this.sqs = sqs;
  }

  public KafkaDestination getKafka() {
    return kafka;
  }

  public void setKafka(KafkaDestination kafka) {
    this.kafka = kafka;
  }

  public FunctionDestination getFunction() {
    return function;
  }

  public void setFunction(FunctionDestination function) {
    this.function = function;
  }
}
