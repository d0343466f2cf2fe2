package dev.klambda.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** A Kafka topic; records are invoked in Lambda's self-managed Kafka event shape. */
public class KafkaSource {
  @JsonPropertyDescription("Comma-separated host:port list.")
  private String bootstrapServers;

  @JsonPropertyDescription("The topic to consume.")
  private String topic;

  @JsonPropertyDescription("The consumer group (default: the mapping's uid).")
  private String consumerGroupId;

  @JsonPropertyDescription(
      "A Secret with the connection settings for SASL/TLS: the keys securityProtocol "
          + "(PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL), saslMechanism (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) with "
          + "username and password, and caCertificate (PEM).")
  private SecretRef authSecretRef;

  public String getBootstrapServers() {
    return bootstrapServers;
  }

  public void setBootstrapServers(String bootstrapServers) {
    this.bootstrapServers = bootstrapServers;
  }

  public String getTopic() {
    return topic;
  }

  public void setTopic(String topic) {
    this.topic = topic;
  }

  public String getConsumerGroupId() {
    return consumerGroupId;
  }

  public void setConsumerGroupId(String consumerGroupId) {
    this.consumerGroupId = consumerGroupId;
  }

  public SecretRef getAuthSecretRef() {
    return authSecretRef;
  }

  public void setAuthSecretRef(SecretRef authSecretRef) {
    this.authSecretRef = authSecretRef;
  }
}
