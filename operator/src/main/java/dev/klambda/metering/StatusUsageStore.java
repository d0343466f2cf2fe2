package dev.klambda.metering;

import dev.klambda.api.Function;
import dev.klambda.api.FunctionStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Instant;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster's ledger: each Function's {@code status.usage}. Usage is added with a read and a
 * write of the status conditional on the resource version read, so two gateway replicas adding to
 * one function never lose each other's counts, and the other status fields are written back as they
 * were read.
 */
public final class StatusUsageStore implements UsageStore {
  private static final Logger LOG = LoggerFactory.getLogger(StatusUsageStore.class);
  private static final int ATTEMPTS = 5;
  private final KubernetesClient client;
  private final Billing billing;

  public StatusUsageStore(KubernetesClient client, Billing billing) {
    this.client = client;
    this.billing = billing;
  }

  @Override
  public Set<String> add(Map<String, Usage> more) {
    Set<String> done = new HashSet<>();
    more.forEach(
        (key, usage) -> {
          try {
            if (add(key, usage)) {
              done.add(key);
            }
          } catch (KubernetesClientException e) {
            LOG.warn(
                "function {}: cannot write its usage (tried again later): {}", key, e.getMessage());
          }
        });
    return done;
  }

  private boolean add(String key, Usage more) {
    int slash = key.indexOf('/');
    var resource =
        client
            .resources(Function.class)
            .inNamespace(key.substring(0, slash))
            .withName(key.substring(slash + 1));
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      Function function = resource.get();
      if (function == null) {
        return true; // a deleted Function has no usage to keep
      }
      FunctionStatus status =
          function.getStatus() == null ? new FunctionStatus() : function.getStatus();
      Instant created =
          function.getMetadata().getCreationTimestamp() == null
              ? more.since()
              : Instant.parse(function.getMetadata().getCreationTimestamp());
      Usage before =
          status.getUsage() == null
              ? Usage.none(more.since())
              : UsageReport.parse(status.getUsage(), created);
      status.setUsage(UsageReport.of(before.plus(more), billing));
      function.setStatus(status);
      try {
        client.resources(Function.class).resource(function).updateStatus();
        return true;
      } catch (KubernetesClientException e) {
        if (e.getCode() == 404) {
          return true;
        }
        if (e.getCode() != 409) {
          throw e;
        }
      }
    }
    LOG.warn("function {}: its status kept changing while usage was added; tried again later", key);
    return false;
  }
}
