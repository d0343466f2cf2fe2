package dev.klambda.auth;

import io.fabric8.kubernetes.api.model.authorization.v1.NonResourceAttributes;
import io.fabric8.kubernetes.api.model.authorization.v1.ResourceAttributes;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;

/** Whether RBAC lets someone do something: one SubjectAccessReview, asked of the API server. */
final class AccessReviews {
  private AccessReviews() {}

  /**
   * Whether {@code who} may do what one of the attributes describes (the other null).
   *
   * @throws KubernetesClientException when the API server cannot be asked
   */
  static boolean allowed(
      KubernetesClient client,
      Identity who,
      ResourceAttributes resource,
      NonResourceAttributes nonResource) {
    SubjectAccessReview review =
        new SubjectAccessReviewBuilder()
            .withNewSpec()
            .withUser(who.username())
            .withUid(who.uid())
            .withGroups(who.groups())
            .withExtra(who.extra())
            .withResourceAttributes(resource)
            .withNonResourceAttributes(nonResource)
            .endSpec()
            .build();
    SubjectAccessReview answer = client.authorization().v1().subjectAccessReview().create(review);
    return answer.getStatus() != null && Boolean.TRUE.equals(answer.getStatus().getAllowed());
  }
}
