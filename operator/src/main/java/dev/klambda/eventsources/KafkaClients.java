package dev.klambda.eventsources;

import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Kafka client settings of a mapping: its consumer (manual commits, the mapping's group and
 * starting position) and the producer of a topic destination, both with the connection settings
 * from the mapping's auth Secret.
 */
final class KafkaClients {
  /** Keys an auth Secret may hold. */
  static final Set<String> SECRET_KEYS = Set.of("securityProtocol", "saslMechanism", "username", "password",
      "caCertificate");
  /** Longer than any invocation (900 s) so a slow batch does not cost the consumer its partitions. */
  private static final Duration MAX_POLL_INTERVAL = Duration.ofMinutes(16);

  private static final Duration SESSION_TIMEOUT = Duration.ofSeconds(10);

  private KafkaClients() {}

  static Properties consumer(MappingConfig mapping, MappingConfig.Kafka source, Map<String, String> auth) {
    Properties props = common(source, auth);
    props.put(ConsumerConfig.GROUP_ID_CONFIG, groupId(mapping, source));
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, "klambda-" + mapping.key());
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    // only where the group has no committed offset yet, as Lambda's StartingPosition
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "TRIM_HORIZON".equals(source.startingPosition()) ? "earliest" : "latest");
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Integer.toString(mapping.batchSize()));
    props.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, Long.toString(MAX_POLL_INTERVAL.toMillis()));
    // a stopped operator's partitions move to the next owner this soon (Kafka's default: 45 s)
    props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, Long.toString(SESSION_TIMEOUT.toMillis()));
    // a consumer added for another partition is noticed within a second (Kafka's default: 3 s)
    props.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "1000");
    // a rebalance moves only the partitions that change hands; the others keep being processed
    props.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    return props;
  }

  /**
   * The group: as configured, else the mapping's uid (a new mapping of the same name starts a new
   * group, as in Lambda), else (local mode: manifests have no uid) one from its namespace and name.
   */
  static String groupId(MappingConfig mapping, MappingConfig.Kafka source) {
    if (source.consumerGroupId() != null && !source.consumerGroupId().isBlank()) {
      return source.consumerGroupId();
    }
    return mapping.uid() != null ? mapping.uid() : "klambda-" + mapping.namespace() + "-" + mapping.name();
  }

  static Properties producer(MappingConfig mapping, MappingConfig.Kafka source, Map<String, String> auth) {
    Properties props = common(source, auth);
    props.put(ProducerConfig.CLIENT_ID_CONFIG, "klambda-" + mapping.key() + "-on-failure");
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    return props;
  }

  /**
   * The Secret's settings: {@code securityProtocol} (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL),
   * {@code saslMechanism} (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) with {@code username} and
   * {@code password}, and {@code caCertificate} (PEM) to trust the brokers' TLS certificates.
   */
  private static Properties common(MappingConfig.Kafka source, Map<String, String> auth) {
    Properties props = new Properties();
    props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, source.bootstrapServers());
    String protocol = auth.get("securityProtocol");
    String mechanism = auth.get("saslMechanism");
    if (protocol == null && mechanism != null) {
      protocol = "SASL_SSL"; // a SASL login without TLS must be asked for by name
    } else if (protocol == null && auth.get("caCertificate") != null) {
      protocol = "SSL"; // a CA to trust means TLS, never a silent fall back to plain text
    }
    if (protocol != null) {
      props.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, protocol);
    }
    if (mechanism != null) {
      props.put(SaslConfigs.SASL_MECHANISM, mechanism);
      String module = mechanism.startsWith("SCRAM")
          ? "org.apache.kafka.common.security.scram.ScramLoginModule"
          : "org.apache.kafka.common.security.plain.PlainLoginModule";
      props.put(SaslConfigs.SASL_JAAS_CONFIG, module + " required username=\"" + quoted(auth.get("username"))
          + "\" password=\"" + quoted(auth.get("password")) + "\";");
    }
    if (auth.get("caCertificate") != null) {
      props.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, "PEM");
      props.put(SslConfigs.SSL_TRUSTSTORE_CERTIFICATES_CONFIG, auth.get("caCertificate"));
    }
    return props;
  }

  private static String quoted(String value) {
    return value == null ? "" : value.replace("\\", "\\\\").replace("\"", "\\\"");
  }
}
