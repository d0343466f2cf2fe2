package dev.klambda.destinations;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

/**
 * Credentials from the cluster's Secrets: a mapping's, read when its poller starts; a Function's
 * destination's, read when a record is sent (get only: no watch).
 */
public final class ClusterSecrets implements SecretSource {
  private final KubernetesClient client;

  public ClusterSecrets(KubernetesClient client) {
    this.client = client;
  }

  @Override
  public Map<String, String> read(String namespace, String name) {
    Secret secret = client.secrets().inNamespace(namespace).withName(name).get();
    if (secret == null) {
      return null;
    }
    Map<String, String> data = new HashMap<>();
    if (secret.getData() != null) {
      secret
          .getData()
          .forEach(
              (key, value) ->
                  data.put(
                      key, new String(Base64.getDecoder().decode(value), StandardCharsets.UTF_8)));
    }
    if (secret.getStringData() != null) {
      data.putAll(
          secret.getStringData()); // a real API server folds these into data; the mock does not
    }
    return data;
  }
}
