package dev.klambda.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** Exactly one of sqs, kafka and function. */
public class EventDestination {
  @JsonPropertyDescription("An SQS queue.")
  private SqsDestination sqs;

  @JsonPropertyDescription("A topic of the same Kafka cluster as the source.")
  private KafkaDestination kafka;

  @JsonPropertyDescription("A Function in this namespace, invoked asynchronously.")
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
