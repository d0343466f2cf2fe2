package dev.klambda.auth;

import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.api.model.authentication.UserInfo;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Bearer tokens (ServiceAccount tokens, typically projected with audience {@code klambda})
 * authenticated by the API server with a TokenReview. Answers are kept briefly by the token's hash.
 */
public final class BearerTokens {
  private final KubernetesClient client;
  private final List<String> audiences;

  /** An empty Optional is a token the API server refused. */
  private final Decisions<String, Optional<Identity>> decisions;

  /**
   * @param audiences the token must be meant for one of these; empty for the API server's own
   */
  public BearerTokens(
      KubernetesClient client, List<String> audiences, Duration allowedTtl, Duration deniedTtl) {
    this.client = client;
    this.audiences = List.copyOf(audiences);
    this.decisions = new Decisions<>(allowedTtl, deniedTtl, Optional::isPresent);
  }

  /** The identity if the token's review is known, else null. */
  Identity known(String token) throws Refusal {
    Optional<Identity> known = decisions.known(hash(token));
    return known == null ? null : identity(known);
  }

  Identity review(String token) throws Refusal {
    String hash = hash(token);
    Optional<Identity> known = decisions.known(hash);
    if (known != null) {
      return identity(known);
    }
    TokenReview review =
        new TokenReviewBuilder()
            .withNewSpec()
            .withToken(token)
            .withAudiences(audiences)
            .endSpec()
            .build();
    TokenReview answer;
    try {
      answer = client.authentication().v1().tokenReviews().create(review);
    } catch (KubernetesClientException e) {
      throw Refusal.unavailable(
          "The gateway could not ask the Kubernetes API server about the bearer token "
              + "(TokenReview): "
              + e.getMessage());
    }
    Optional<Identity> identity = Optional.empty();
    if (answer.getStatus() != null
        && Boolean.TRUE.equals(answer.getStatus().getAuthenticated())
        && answer.getStatus().getUser() != null) {
      UserInfo user = answer.getStatus().getUser();
      identity =
          Optional.of(
              new Identity(
                  user.getUsername(),
                  user.getUid(),
                  user.getGroups() == null ? List.of() : List.copyOf(user.getGroups()),
                  user.getExtra() == null ? Map.of() : Map.copyOf(user.getExtra()),
                  user.getUsername()));
    }
    decisions.remember(hash, identity);
    return identity(identity);
  }

  private Identity identity(Optional<Identity> identity) throws Refusal {
    if (identity.isEmpty()) {
      throw Refusal.badToken(
          "the Kubernetes API server did not authenticate the bearer token (TokenReview)"
              + (audiences.isEmpty()
                  ? ""
                  : "; it must be a token for audience "
                      + String.join(" or ", audiences)
                      + ", e.g. a projected ServiceAccount token"));
    }
    return identity.get();
  }

  private static String hash(String token) {
    return HexFormat.of().formatHex(Digests.sha256(token.getBytes(StandardCharsets.UTF_8)));
  }
}
