package dev.klambda.auth;

/**
 * Whether an identity may do an {@link Action} with a function ({@code name}; null for the
 * namespace's functions as a whole): Kubernetes RBAC in a cluster, the namespace locally.
 */
public interface Permissions {
  /** The decision if it is known without a call to the API server, else null. */
  Boolean known(Identity who, Action action, String namespace, String name);

  /** The decision, calling the API server when it is not known. */
  boolean allows(Identity who, Action action, String namespace, String name) throws Refusal;

  /**
   * Local mode, where there is no RBAC: a key may do anything with the functions of its own
   * namespace.
   */
  static Permissions sameNamespace() {
    return new Permissions() {
      @Override
      public Boolean known(Identity who, Action action, String namespace, String name) {
        return namespace.equals(who.serviceAccountNamespace());
      }

      @Override
      public boolean allows(Identity who, Action action, String namespace, String name) {
        return known(who, action, namespace, name);
      }
    };
  }
}
