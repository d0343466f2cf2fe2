package dev.klambda.auth;

import java.util.List;
import java.util.Map;

/**
 * Who calls, as Kubernetes authorizes them: the user and groups of a SubjectAccessReview, and how
 * the caller showed up ({@code display}, for refusals and the audit log).
 */
public record Identity(
    String username,
    String uid,
    List<String> groups,
    Map<String, List<String>> extra,
    String display) {
  public static final String SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:";

  public static Identity serviceAccount(String namespace, String name, String display) {
    return new Identity(
        SERVICE_ACCOUNT_PREFIX + namespace + ":" + name,
        null,
        List.of(
            "system:serviceaccounts",
            "system:serviceaccounts:" + namespace,
            "system:authenticated"),
        Map.of(),
        display + " (" + SERVICE_ACCOUNT_PREFIX + namespace + ":" + name + ")");
  }

  /** The namespace of a ServiceAccount's identity, or null for other users. */
  public String serviceAccountNamespace() {
    if (!username.startsWith(SERVICE_ACCOUNT_PREFIX)) {
      return null;
    }
    String rest = username.substring(SERVICE_ACCOUNT_PREFIX.length());
    int colon = rest.indexOf(':');
    return colon < 0 ? null : rest.substring(0, colon);
  }
}
