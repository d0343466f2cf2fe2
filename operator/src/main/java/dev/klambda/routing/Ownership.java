package dev.klambda.routing;

import java.net.URI;

/**
 * Which gateway replica routes a function. Exactly one replica routes each function (starts, reuses
 * and reaps its environments); the others forward its invocations there, or run them on
 * environments it lent them ({@link Loans}), so its limits and its scale to zero are one replica's
 * decisions however many replicas serve.
 */
@FunctionalInterface
public interface Ownership {
  /** One replica alone (local mode, tests): it routes everything. */
  Ownership ALONE = key -> null;

  /**
   * @param key the function, {@code namespace/name}
   * @return null when this replica routes the function, else the base URL of the replica that does
   */
  URI ownerOf(String key);

  /** This replica's name among the members: who borrows an environment. */
  default String self() {
    return "alone";
  }

  /** How many replicas serve now (this one included). */
  default int replicas() {
    return 1;
  }

  /** Where the replica named {@code replica} serves; null when it does not (any more). */
  default URI urlOf(String replica) {
    return null;
  }

  /** Whether the replica named {@code replica} still serves: false once it left or died. */
  default boolean serves(String replica) {
    return self().equals(replica);
  }
}
