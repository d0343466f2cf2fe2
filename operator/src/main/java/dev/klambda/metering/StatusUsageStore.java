package dev.klambda.metering;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.klambda.api.Function;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.util.Map;

/**
 * The operator's ledger: each Function's {@code status.usage}, written with a JSON merge patch of
 * that field alone, so it never races the reconciler's status fields.
 */
public final class StatusUsageStore implements UsageStore {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final KubernetesClient client;
  private final Billing billing;

  public StatusUsageStore(KubernetesClient client, Billing billing) {
    this.client = client;
    this.billing = billing;
  }

  @Override
  public void save(Map<String, Usage> totals) {
    totals.forEach((key, usage) -> {
      int slash = key.indexOf('/');
      try {
        String patch = JSON.writeValueAsString(Map.of("status", Map.of("usage", UsageReport.of(usage, billing))));
        client.resources(Function.class).inNamespace(key.substring(0, slash)).withName(key.substring(slash + 1))
            .subresource("status").patch(PatchContext.of(PatchType.JSON_MERGE), patch);
      } catch (KubernetesClientException e) {
        if (e.getCode() != 404) { // a deleted Function has no usage to keep
          System.err.println("klambda: cannot write the usage of " + key + ": " + e.getMessage());
        }
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new IllegalStateException(e);
      }
    });
  }
}
