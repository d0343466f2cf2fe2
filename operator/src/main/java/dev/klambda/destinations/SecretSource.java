package dev.klambda.destinations;

import java.util.Map;

/** Reads a Secret of a resource's namespace: the cluster's Secrets, or local mode's manifests. */
@FunctionalInterface
public interface SecretSource {
  SecretSource NONE = (namespace, name) -> null;

  /** The Secret's keys and decoded values; null when there is no such Secret. */
  Map<String, String> read(String namespace, String name);
}
