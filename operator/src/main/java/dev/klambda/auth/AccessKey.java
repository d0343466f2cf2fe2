package dev.klambda.auth;

import io.fabric8.kubernetes.api.model.Secret;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;

/**
 * An AWS-style access key: a Secret of type {@value #SECRET_TYPE} with {@code accessKeyId} and
 * {@code secretAccessKey}, annotated with the ServiceAccount of its namespace that it acts as, so
 * that RBAC decides what the key may invoke as it does for that ServiceAccount.
 */
public record AccessKey(
    String accessKeyId,
    String secretAccessKey,
    String namespace,
    String serviceAccount,
    String secretName) {
  public static final String SECRET_TYPE = "klambda.dev/access-key";
  public static final String SERVICE_ACCOUNT_ANNOTATION = "klambda.dev/service-account";

  /** The identity the key acts as. */
  public Identity identity() {
    return Identity.serviceAccount(namespace, serviceAccount, "access key " + accessKeyId);
  }

  /**
   * The key a Secret holds.
   *
   * @throws IllegalArgumentException naming the field and the rule a Secret breaks
   */
  public static AccessKey fromSecret(Secret secret) {
    String where =
        "Secret " + secret.getMetadata().getNamespace() + "/" + secret.getMetadata().getName();
    String id = field(secret, "accessKeyId", where);
    String key = field(secret, "secretAccessKey", where);
    Map<String, String> annotations = secret.getMetadata().getAnnotations();
    String account = annotations == null ? null : annotations.get(SERVICE_ACCOUNT_ANNOTATION);
    if (account == null || account.isBlank()) {
      throw new IllegalArgumentException(
          where
              + ": metadata.annotations."
              + SERVICE_ACCOUNT_ANNOTATION
              + " must name the ServiceAccount (in the Secret's namespace) that the key acts as");
    }
    if (!id.matches("[A-Za-z0-9]{4,128}")) {
      throw new IllegalArgumentException(where + ": accessKeyId must be 4-128 letters and digits");
    }
    return new AccessKey(
        id,
        key,
        secret.getMetadata().getNamespace(),
        account.trim(),
        secret.getMetadata().getName());
  }

  private static String field(Secret secret, String name, String where) {
    String value = secret.getStringData() != null ? secret.getStringData().get(name) : null;
    if (value == null && secret.getData() != null && secret.getData().get(name) != null) {
      try {
        value =
            new String(
                Base64.getDecoder().decode(secret.getData().get(name)), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(where + ": data." + name + " must be base64");
      }
    }
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(
          where + ": " + name + " is required (stringData." + name + ")");
    }
    return value.trim();
  }

  @Override
  public String toString() {
    return "AccessKey["
        + accessKeyId
        + " of "
        + namespace
        + "/"
        + serviceAccount
        + "]"; // never the secret
  }
}
