package dev.klambda.auth;

import io.fabric8.kubernetes.api.model.authorization.v1.NonResourceAttributesBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.List;

/**
 * Who may read {@code /metrics}, which names every namespace's functions: anyone, or (as
 * kube-rbac-proxy and controller-runtime's metrics filter do) a bearer token whose user RBAC lets
 * {@code get} the non-resource URL {@code /metrics}, which is how Prometheus scrapes with its
 * ServiceAccount.
 */
public final class MetricsReaders {
  public static final String PATH = "/metrics";

  private final BearerTokens tokens;
  private final KubernetesClient client;
  private final Decisions<Identity, Boolean> decisions;

  private MetricsReaders(KubernetesClient client, Duration allowedTtl, Duration deniedTtl) {
    this.client = client;
    // a ServiceAccount's ordinary token: the API server's own audience
    this.tokens =
        client == null ? null : new BearerTokens(client, List.of(), allowedTtl, deniedTtl);
    this.decisions = new Decisions<>(allowedTtl, deniedTtl, Boolean::booleanValue);
  }

  public static MetricsReaders anyone() {
    return new MetricsReaders(null, Duration.ZERO, Duration.ZERO);
  }

  public static MetricsReaders kubernetes(
      KubernetesClient client, Duration allowedTtl, Duration deniedTtl) {
    return new MetricsReaders(client, allowedTtl, deniedTtl);
  }

  /**
   * 200 when the caller may read the metrics; else 401 (no or unknown token) or 403 (not allowed).
   */
  public int status(String authorization) {
    if (tokens == null) {
      return 200;
    }
    if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return 401;
    }
    Identity who;
    try {
      who = tokens.review(authorization.substring(7).trim());
    } catch (Refusal refusal) {
      return refusal.reason() == Refusal.Reason.UNAVAILABLE ? 503 : 401;
    }
    Boolean known = decisions.known(who);
    if (known == null) {
      try {
        known =
            AccessReviews.allowed(
                client,
                who,
                null,
                new NonResourceAttributesBuilder().withPath(PATH).withVerb("get").build());
      } catch (KubernetesClientException e) {
        return 503;
      }
      decisions.remember(who, known);
    }
    return known ? 200 : 403;
  }
}
