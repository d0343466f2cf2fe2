package dev.klambda.auth;

import dev.klambda.informers.LatestState;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The access keys of the served namespaces, kept by an informer on Secrets of type {@value
 * AccessKey#SECRET_TYPE} (a field selector: no other Secret is read), so a request's key is a map
 * lookup. An access key id held by two Secrets is ambiguous and refused until one goes.
 */
public final class SecretAccessKeys implements AccessKeys, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SecretAccessKeys.class);

  private final Map<String, AccessKey> bySecret = new ConcurrentHashMap<>();
  private final List<SharedIndexInformer<Secret>> informers = new ArrayList<>();
  private volatile Map<String, AccessKey> byId = Map.of();

  /**
   * @param namespaces the served namespaces; empty for all
   */
  public SecretAccessKeys(KubernetesClient client, Set<String> namespaces) {
    ResourceEventHandler<Secret> handler = LatestState.of(this::put, this::remove);
    if (namespaces.isEmpty()) {
      informers.add(
          client
              .secrets()
              .inAnyNamespace()
              .withField("type", AccessKey.SECRET_TYPE)
              .inform(handler));
    } else {
      for (String namespace : namespaces) {
        informers.add(
            client
                .secrets()
                .inNamespace(namespace)
                .withField("type", AccessKey.SECRET_TYPE)
                .inform(handler));
      }
    }
  }

  @Override
  public AccessKey find(String accessKeyId) {
    return byId.get(accessKeyId);
  }

  private void put(Secret secret) {
    try {
      AccessKey key = AccessKey.fromSecret(secret);
      bySecret.put(name(secret), key);
      LOG.info(
          "access key {} of Secret {}: acts as ServiceAccount {}",
          key.accessKeyId(),
          name(secret),
          key.serviceAccount());
    } catch (IllegalArgumentException e) {
      bySecret.remove(name(secret));
      LOG.warn("access key of Secret {}: ignored: {}", name(secret), e.getMessage());
    }
    index();
  }

  private void remove(Secret secret) {
    if (bySecret.remove(name(secret)) != null) {
      LOG.info("access key of Secret {}: removed", name(secret));
      index();
    }
  }

  private synchronized void index() {
    Map<String, List<AccessKey>> grouped =
        bySecret.values().stream().collect(Collectors.groupingBy(AccessKey::accessKeyId));
    grouped.values().stream()
        .filter(keys -> keys.size() > 1)
        .forEach(
            keys ->
                LOG.warn(
                    "access key {}: held by {} Secrets ({}): refused until one holds it",
                    keys.get(0).accessKeyId(),
                    keys.size(),
                    keys.stream()
                        .map(k -> k.namespace() + "/" + k.secretName())
                        .sorted()
                        .collect(Collectors.joining(", "))));
    byId =
        grouped.values().stream()
            .filter(keys -> keys.size() == 1)
            .map(keys -> keys.get(0))
            .collect(Collectors.toUnmodifiableMap(AccessKey::accessKeyId, Function.identity()));
  }

  private static String name(Secret secret) {
    return secret.getMetadata().getNamespace() + "/" + secret.getMetadata().getName();
  }

  @Override
  public void close() {
    informers.forEach(SharedIndexInformer::close);
  }
}
