package dev.klambda.auth;

import java.util.Collection;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/** The access keys the gateway knows, by id. */
@FunctionalInterface
public interface AccessKeys {
  /** The key with this id, or null. Never a call to the API server. */
  AccessKey find(String accessKeyId);

  /** Keys read once (local mode's manifests). */
  static AccessKeys of(Collection<AccessKey> keys) {
    Map<String, AccessKey> byId =
        keys.stream()
            .collect(Collectors.toUnmodifiableMap(AccessKey::accessKeyId, Function.identity()));
    return byId::get;
  }
}
