package dev.klambda.routing;

import java.net.URI;

/**
 * Which gateway replica routes a function. Exactly one replica routes each function (starts, reuses
 * and reaps its environments); the others forward its invocations there, so its limits and its
 * scale to zero are one replica's decisions however many replicas serve.
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
}
