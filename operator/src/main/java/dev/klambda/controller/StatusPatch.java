package dev.klambda.controller;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes some fields of a resource's status with a JSON Patch ({@code add} replaces a field that
 * exists), leaving the others alone: the reconcilers own their fields, the usage roll-up owns
 * {@code status.usage}. A JSON Patch, not a merge patch, so lists (conditions) are replaced whole
 * on every API server, the mock one included.
 */
final class StatusPatch {
  private static final ObjectMapper JSON = new ObjectMapper();

  private StatusPatch() {}

  /**
   * Sets {@code status.<field>} for each field of {@code status} except {@code excluded}; a field
   * that is null now and set in the resource's current status is removed.
   */
  static void write(
      KubernetesClient client, CustomResource<?, ?> resource, Object status, String... excluded) {
    Map<String, Object> fields =
        new LinkedHashMap<>(JSON.convertValue(status, new TypeReference<Map<String, Object>>() {}));
    for (String field : excluded) {
      fields.remove(field);
    }
    List<Map<String, Object>> operations = new ArrayList<>();
    if (resource.getStatus() == null) {
      fields.values().removeIf(java.util.Objects::isNull);
      operations.add(Map.of("op", "add", "path", "/status", "value", fields));
    } else {
      Map<?, ?> current = JSON.convertValue(resource.getStatus(), Map.class);
      fields.forEach(
          (name, value) -> {
            if (value != null) {
              operations.add(Map.of("op", "add", "path", "/status/" + name, "value", value));
            } else if (current.get(name) != null) {
              operations.add(
                  Map.of(
                      "op", "remove", "path", "/status/" + name)); // e.g. a function URL taken away
            }
          });
    }
    try {
      client
          .resource(resource)
          .subresource("status")
          .patch(PatchContext.of(PatchType.JSON), JSON.writeValueAsString(operations));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
