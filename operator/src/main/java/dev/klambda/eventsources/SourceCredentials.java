package dev.klambda.eventsources;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;

/**
 * The credentials a mapping names, read from its Secret and checked before any client starts:
 * a missing Secret is waited for (it may be created after the mapping), a Secret with the wrong
 * keys is a configuration error naming the key.
 */
final class SourceCredentials {
  private static final String SQS_FIELD = "spec.source.sqs.credentialsSecretRef";
  private static final String KAFKA_FIELD = "spec.source.kafka.authSecretRef";
  private static final Set<String> SQS_KEYS = Set.of("accessKeyId", "secretAccessKey", "sessionToken");
  private static final Set<String> PROTOCOLS = Set.of("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL");
  private static final Set<String> MECHANISMS = Set.of("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512");

  private SourceCredentials() {}

  /**
   * The data of the Secret the mapping's source names; null when it names none. A missing Secret
   * is waited for (it may be created after the mapping).
   */
  static Map<String, String> read(SecretSource secrets, MappingConfig mapping)
      throws EventSourceManager.CannotStartException {
    return switch (mapping.source()) {
      case MappingConfig.Sqs sqs -> read(secrets, mapping.namespace(), sqs.credentialsSecret(), SQS_FIELD);
      case MappingConfig.Kafka kafka -> read(secrets, mapping.namespace(), kafka.authSecret(), KAFKA_FIELD);
      case MappingConfig.Schedule schedule -> null;
    };
  }

  /** AWS credentials from {@code accessKeyId}, {@code secretAccessKey} and optional {@code sessionToken}. */
  static AwsCredentials aws(Map<String, String> data, String secret) throws EventSourceManager.CannotStartException {
    unknownKeys(data, SQS_KEYS, secret, SQS_FIELD);
    for (String key : new String[] {"accessKeyId", "secretAccessKey"}) {
      if (blank(data.get(key))) {
        throw invalid(SQS_FIELD + ": Secret " + secret + " has no key " + key);
      }
    }
    return blank(data.get("sessionToken"))
        ? AwsBasicCredentials.create(data.get("accessKeyId"), data.get("secretAccessKey"))
        : AwsSessionCredentials.create(data.get("accessKeyId"), data.get("secretAccessKey"), data.get("sessionToken"));
  }

  /** Kafka connection settings (see {@link KafkaClients}); no Secret named: none. */
  static Map<String, String> kafka(Map<String, String> data, String secret)
      throws EventSourceManager.CannotStartException {
    if (data == null) {
      return Map.of();
    }
    unknownKeys(data, KafkaClients.SECRET_KEYS, secret, KAFKA_FIELD);
    String protocol = data.get("securityProtocol");
    if (protocol != null && !PROTOCOLS.contains(protocol)) {
      throw invalid(KAFKA_FIELD + ": Secret " + secret + " key securityProtocol must be one of " + new TreeSet<>(PROTOCOLS)
          + " (got '" + protocol + "')");
    }
    String mechanism = data.get("saslMechanism");
    if (mechanism != null) {
      if (!MECHANISMS.contains(mechanism)) {
        throw invalid(KAFKA_FIELD + ": Secret " + secret + " key saslMechanism must be one of " + new TreeSet<>(MECHANISMS)
            + " (got '" + mechanism + "')");
      }
      if (blank(data.get("username")) || blank(data.get("password"))) {
        throw invalid(KAFKA_FIELD + ": Secret " + secret + " needs username and password for saslMechanism " + mechanism);
      }
    }
    return data;
  }

  private static Map<String, String> read(SecretSource secrets, String namespace, String secret, String field)
      throws EventSourceManager.CannotStartException {
    if (secret == null) {
      return null;
    }
    Map<String, String> data = secrets.read(namespace, secret);
    if (data == null) {
      throw new EventSourceManager.CannotStartException(field + ": no Secret " + namespace + "/" + secret, true);
    }
    return data;
  }

  private static void unknownKeys(Map<String, String> data, Set<String> allowed, String secret, String field)
      throws EventSourceManager.CannotStartException {
    for (String key : new TreeSet<>(data.keySet())) {
      if (!allowed.contains(key)) {
        throw invalid(field + ": Secret " + secret + " has an unknown key " + key + " (allowed: "
            + new TreeSet<>(allowed) + ")");
      }
    }
  }

  private static EventSourceManager.CannotStartException invalid(String message) {
    return new EventSourceManager.CannotStartException(message, false);
  }

  private static boolean blank(String value) {
    return value == null || value.isBlank();
  }
}
