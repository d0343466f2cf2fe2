package dev.klambda.eventsources;

import dev.klambda.destinations.SecretCredentials;
import dev.klambda.destinations.SecretSource;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AwsCredentials;

/**
 * The credentials a mapping names, read from its Secret and checked before any client starts: a
 * missing Secret is waited for (it may be created after the mapping), a Secret with the wrong keys
 * is a configuration error naming the key ({@link SecretCredentials}).
 */
final class SourceCredentials {
  private static final String SQS_FIELD = "spec.source.sqs.credentialsSecretRef";
  private static final String KAFKA_FIELD = "spec.source.kafka.authSecretRef";

  private SourceCredentials() {}

  /**
   * The data of the Secret the mapping's source names; null when it names none. A missing Secret is
   * waited for (it may be created after the mapping).
   */
  static Map<String, String> read(SecretSource secrets, MappingConfig mapping)
      throws EventSourceManager.CannotStartException {
    return switch (mapping.source()) {
      case MappingConfig.Sqs sqs ->
          read(secrets, mapping.namespace(), sqs.credentialsSecret(), SQS_FIELD);
      case MappingConfig.Kafka kafka ->
          read(secrets, mapping.namespace(), kafka.authSecret(), KAFKA_FIELD);
      case MappingConfig.Schedule schedule -> null;
    };
  }

  /**
   * AWS credentials from {@code accessKeyId}, {@code secretAccessKey} and optional {@code
   * sessionToken}.
   */
  static AwsCredentials aws(Map<String, String> data, String secret)
      throws EventSourceManager.CannotStartException {
    try {
      return SecretCredentials.aws(data, secret, SQS_FIELD);
    } catch (IllegalArgumentException e) {
      throw invalid(e);
    }
  }

  /**
   * Kafka connection settings (see {@link dev.klambda.destinations.KafkaConnection}); no Secret
   * named: none.
   */
  static Map<String, String> kafka(Map<String, String> data, String secret)
      throws EventSourceManager.CannotStartException {
    try {
      return SecretCredentials.kafka(data, secret, KAFKA_FIELD);
    } catch (IllegalArgumentException e) {
      throw invalid(e);
    }
  }

  private static Map<String, String> read(
      SecretSource secrets, String namespace, String secret, String field)
      throws EventSourceManager.CannotStartException {
    if (secret == null) {
      return null;
    }
    Map<String, String> data = secrets.read(namespace, secret);
    if (data == null) {
      throw new EventSourceManager.CannotStartException(
          field + ": no Secret " + namespace + "/" + secret, true);
    }
    return data;
  }

  private static EventSourceManager.CannotStartException invalid(IllegalArgumentException e) {
    return new EventSourceManager.CannotStartException(e.getMessage(), false);
  }
}
