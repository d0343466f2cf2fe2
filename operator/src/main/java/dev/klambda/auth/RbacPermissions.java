package dev.klambda.auth;

import io.fabric8.kubernetes.api.model.authorization.v1.ResourceAttributesBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;

/**
 * Kubernetes RBAC decides: a SubjectAccessReview of the action's verb ({@code invoke}, {@code get},
 * {@code list}) on {@code functions} in group {@code klambda.dev}, the function's namespace and
 * name; so {@code kubectl auth can-i invoke functions.klambda.dev/NAME --as=...} tells the truth
 * about the gateway.
 */
public final class RbacPermissions implements Permissions {
  public static final String GROUP = "klambda.dev";
  public static final String RESOURCE = "functions";

  private record Question(Identity who, Action action, String namespace, String name) {}

  private final KubernetesClient client;
  private final Decisions<Question, Boolean> decisions;

  public RbacPermissions(KubernetesClient client, Duration allowedTtl, Duration deniedTtl) {
    this.client = client;
    this.decisions = new Decisions<>(allowedTtl, deniedTtl, Boolean::booleanValue);
  }

  @Override
  public Boolean known(Identity who, Action action, String namespace, String name) {
    return decisions.known(new Question(who, action, namespace, name));
  }

  @Override
  public boolean allows(Identity who, Action action, String namespace, String name) throws Refusal {
    Question question = new Question(who, action, namespace, name);
    Boolean known = decisions.known(question);
    if (known != null) {
      return known;
    }
    boolean allowed;
    try {
      allowed =
          AccessReviews.allowed(
              client,
              who,
              new ResourceAttributesBuilder()
                  .withVerb(action.verb())
                  .withGroup(GROUP)
                  .withResource(RESOURCE)
                  .withNamespace(namespace)
                  .withName(name)
                  .build(),
              null);
    } catch (KubernetesClientException e) {
      throw Refusal.unavailable(
          "The gateway could not ask the Kubernetes API server whether "
              + who.display()
              + " may "
              + action.verb()
              + " (SubjectAccessReview): "
              + e.getMessage());
    }
    decisions.remember(question, allowed);
    return allowed;
  }
}
