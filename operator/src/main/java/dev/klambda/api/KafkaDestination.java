package dev.klambda.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** A Kafka topic for failed records. */
public class KafkaDestination {
  @JsonPropertyDescription("The topic, on the source's cluster.")
  private String topic;

  public String getTopic() {
    return topic;
  }

  public void setTopic(String topic) {
    this.topic = topic;
  }
}
