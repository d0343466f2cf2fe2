package dev.klambda.destinations;

import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * How a Kafka client reaches a cluster: its bootstrap servers and the connection settings of an
 * auth Secret (checked by {@link SecretCredentials#kafka}); and the producer of a topic
 * destination.
 */
public final class KafkaConnection {
  /** Keys an auth Secret may hold. */
  public static final Set<String> SECRET_KEYS =
      Set.of("securityProtocol", "saslMechanism", "username", "password", "caCertificate");

  private KafkaConnection() {}

  /** A producer that waits for every in-sync replica, as a destination must not lose a record. */
  public static Properties producer(
      String bootstrapServers, Map<String, String> auth, String clientId) {
    Properties props = properties(bootstrapServers, auth);
    props.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    return props;
  }

  /**
   * The Secret's settings: {@code securityProtocol} (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL),
   * {@code saslMechanism} (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) with {@code username} and {@code
   * password}, and {@code caCertificate} (PEM) to trust the brokers' TLS certificates.
   */
  public static Properties properties(String bootstrapServers, Map<String, String> auth) {
    Properties props = new Properties();
    props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
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
      String module =
          mechanism.startsWith("SCRAM")
              ? "org.apache.kafka.common.security.scram.ScramLoginModule"
              : "org.apache.kafka.common.security.plain.PlainLoginModule";
      props.put(
          SaslConfigs.SASL_JAAS_CONFIG,
          module
              + " required username=\""
              + quoted(auth.get("username"))
              + "\" password=\""
              + quoted(auth.get("password"))
              + "\";");
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
