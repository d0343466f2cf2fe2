package dev.klambda.destinations;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;

/**
 * The credentials a Secret holds, checked before any client starts: a Secret with the wrong keys is
 * refused with a message naming the field that refers to it, the Secret and the key.
 */
public final class SecretCredentials {
  private static final Set<String> AWS_KEYS =
      Set.of("accessKeyId", "secretAccessKey", "sessionToken");
  private static final Set<String> PROTOCOLS =
      Set.of("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL");
  private static final Set<String> MECHANISMS = Set.of("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512");

  private SecretCredentials() {}

  /**
   * AWS credentials from {@code accessKeyId}, {@code secretAccessKey} and optional {@code
   * sessionToken}.
   *
   * @param field the field that names the Secret, for the message
   * @throws IllegalArgumentException a key is missing or unknown
   */
  public static AwsCredentials aws(Map<String, String> data, String secret, String field) {
    unknownKeys(data, AWS_KEYS, secret, field);
    for (String key : new String[] {"accessKeyId", "secretAccessKey"}) {
      if (blank(data.get(key))) {
        throw new IllegalArgumentException(field + ": Secret " + secret + " has no key " + key);
      }
    }
    return blank(data.get("sessionToken"))
        ? AwsBasicCredentials.create(data.get("accessKeyId"), data.get("secretAccessKey"))
        : AwsSessionCredentials.create(
            data.get("accessKeyId"), data.get("secretAccessKey"), data.get("sessionToken"));
  }

  /**
   * Kafka connection settings (see {@link KafkaConnection}); no Secret named: none.
   *
   * @throws IllegalArgumentException a key is unknown or holds a value Kafka does not take
   */
  public static Map<String, String> kafka(Map<String, String> data, String secret, String field) {
    if (data == null) {
      return Map.of();
    }
    unknownKeys(data, KafkaConnection.SECRET_KEYS, secret, field);
    String protocol = data.get("securityProtocol");
    if (protocol != null && !PROTOCOLS.contains(protocol)) {
      throw new IllegalArgumentException(
          field
              + ": Secret "
              + secret
              + " key securityProtocol must be one of "
              + new TreeSet<>(PROTOCOLS)
              + " (got '"
              + protocol
              + "')");
    }
    String mechanism = data.get("saslMechanism");
    if (mechanism != null) {
      if (!MECHANISMS.contains(mechanism)) {
        throw new IllegalArgumentException(
            field
                + ": Secret "
                + secret
                + " key saslMechanism must be one of "
                + new TreeSet<>(MECHANISMS)
                + " (got '"
                + mechanism
                + "')");
      }
      if (blank(data.get("username")) || blank(data.get("password"))) {
        throw new IllegalArgumentException(
            field
                + ": Secret "
                + secret
                + " needs username and password for saslMechanism "
                + mechanism);
      }
    }
    return data;
  }

  private static void unknownKeys(
      Map<String, String> data, Set<String> allowed, String secret, String field) {
    for (String key : new TreeSet<>(data.keySet())) {
      if (!allowed.contains(key)) {
        throw new IllegalArgumentException(
            field
                + ": Secret "
                + secret
                + " has an unknown key "
                + key
                + " (allowed: "
                + new TreeSet<>(allowed)
                + ")");
      }
    }
  }

  private static boolean blank(String value) {
    return value == null || value.isBlank();
  }
}
