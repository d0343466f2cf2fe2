package dev.klambda.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code kubectl explain} teaches every field, and the schema carries Lambda's bounds and defaults.
 */
class CrdSchemaTest {
  private final JsonNode schema = readSchema();

  private static JsonNode readSchema() {
    try {
      return new ObjectMapper(new YAMLFactory())
          .readTree(Path.of("../crds/functions.klambda.dev-v1.yml").toFile())
          .at("/spec/versions/0/schema/openAPIV3Schema");
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void everyFieldOfEveryCrdHasADescription() throws java.io.IOException {
    List<String> undescribed = new ArrayList<>();
    try (var crds = java.nio.file.Files.list(Path.of("../crds"))) {
      for (Path crd : crds.toList()) {
        walk(
            new ObjectMapper(new YAMLFactory())
                .readTree(crd.toFile())
                .at("/spec/versions/0/schema/openAPIV3Schema"),
            crd.getFileName().toString(),
            undescribed);
      }
    }
    assertThat(undescribed).isEmpty();
  }

  private static void walk(JsonNode node, String path, List<String> undescribed) {
    node.path("properties")
        .properties()
        .forEach(
            field -> {
              String fieldPath = path + "." + field.getKey();
              if (!field.getValue().has("description")) {
                undescribed.add(fieldPath);
              }
              walk(field.getValue(), fieldPath, undescribed);
            });
    if (node.has("items")) {
      walk(node.get("items"), path + "[]", undescribed);
    }
  }

  @Test
  void boundsAndDefaultsAreInTheSchema() {
    JsonNode spec = schema.at("/properties/spec/properties");
    assertThat(spec.at("/memoryMB/minimum").asInt()).isEqualTo(128);
    assertThat(spec.at("/memoryMB/maximum").asInt()).isEqualTo(10240);
    assertThat(spec.at("/memoryMB/default").asInt()).isEqualTo(128);
    assertThat(spec.at("/timeoutSeconds/minimum").asInt()).isEqualTo(1);
    assertThat(spec.at("/timeoutSeconds/maximum").asInt()).isEqualTo(900);
    assertThat(spec.at("/timeoutSeconds/default").asInt()).isEqualTo(3);
  }
}
