package dev.klambda.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** A Kafka topic that invocation records are sent to. */
public class KafkaDestination {
  @JsonPropertyDescription(
      "The topic, on the source's cluster (an EventSourceMapping) or on bootstrapServers "
          + "(a Function).")
  private String topic;

  @JsonPropertyDescription(
      "A Function's destination only, and required there: the cluster, a comma-separated "
          + "host:port list. An EventSourceMapping's topic is on its source's cluster.")
  private String bootstrapServers;

  @JsonPropertyDescription(
      "A Function's destination only: a Secret with the connection settings for "
          + "bootstrapServers, the keys of a Kafka source's authSecretRef (securityProtocol, saslMechanism, "
          + "username, password, caCertificate).")
  private SecretRef authSecretRef;

  public String getTopic() {
    return topic;
  }

  public void setTopic(String topic) {
    this.topic = topic;
  }

  public String getBootstrapServers() {
    return bootstrapServers;
  }

  public void setBootstrapServers(String bootstrapServers) {
    this.bootstrapServers = bootstrapServers;
  }

  public SecretRef getAuthSecretRef() {
    return authSecretRef;
  }

  public void setAuthSecretRef(SecretRef authSecretRef) {
    this.authSecretRef = authSecretRef;
  }
}
