package dev.klambda.local;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.klambda.api.EventSourceMapping;
import dev.klambda.api.Function;
import dev.klambda.auth.AccessKey;
import dev.klambda.destinations.SecretSource;
import dev.klambda.eventsources.MappingConfig;
import dev.klambda.eventsources.MappingValidator;
import dev.klambda.function.CodeSource;
import dev.klambda.function.FunctionConfig;
import dev.klambda.function.FunctionValidator;
import dev.klambda.function.InvalidFunctionException;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Reads Function manifests from files and folders (multi-document YAML; folders are scanned for
 * {@code *.yaml} and {@code *.yml}). A bad document is reported with its file, document number,
 * field and rule, and the others still load.
 */
public final class ManifestLoader {
  static final String API_VERSION = "klambda.dev/v1alpha1";

  /** What was loaded, and what was refused (one message per bad document). */
  public record Result(
      List<FunctionConfig> functions,
      List<MappingConfig> mappings,
      Map<String, Map<String, String>> secrets,
      List<AccessKey> accessKeys,
      List<String> errors) {
    /** The Secrets of the manifests, for mappings' credentials. */
    public SecretSource secretSource() {
      return (namespace, name) -> secrets.get(namespace + "/" + name);
    }
  }

  private final ObjectMapper yaml =
      new ObjectMapper(new YAMLFactory()).enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
  private final FunctionValidator validator;
  private final MappingValidator mappingValidator = new MappingValidator();

  public ManifestLoader(FunctionValidator validator) {
    this.validator = validator;
  }

  public Result load(List<Path> paths) {
    List<FunctionConfig> functions = new ArrayList<>();
    List<MappingConfig> mappings = new ArrayList<>();
    Map<String, Map<String, String>> secrets = new HashMap<>();
    List<AccessKey> accessKeys = new ArrayList<>();
    List<String> errors = new ArrayList<>();
    Map<String, String> origins = new HashMap<>();
    for (Path path : paths) {
      for (Path file : manifestFiles(path, errors)) {
        loadFile(file, functions, mappings, secrets, accessKeys, errors, origins);
      }
    }
    // a mapping needs its function, wherever in the manifests it is
    List<MappingConfig> connected = new ArrayList<>();
    for (MappingConfig mapping : mappings) {
      if (functions.stream().anyMatch(f -> f.key().equals(mapping.functionKey()))) {
        connected.add(mapping);
      } else {
        errors.add(
            origins.get("mapping " + mapping.key())
                + ": spec.functionName: no Function "
                + mapping.functionKey()
                + " in the manifests");
      }
    }
    return new Result(functions, connected, secrets, List.copyOf(accessKeys), errors);
  }

  /** The file itself, or the folder's YAML files in name order. */
  private static List<Path> manifestFiles(Path path, List<String> errors) {
    if (Files.isRegularFile(path)) {
      return List.of(path);
    }
    if (!Files.isDirectory(path)) {
      errors.add(path + ": no such file or folder");
      return List.of();
    }
    try (Stream<Path> walk = Files.walk(path)) {
      return walk.filter(Files::isRegularFile)
          .filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml"))
          .sorted()
          .collect(Collectors.toList());
    } catch (IOException e) {
      errors.add(path + ": cannot read the folder: " + e.getMessage());
      return List.of();
    }
  }

  private void loadFile(
      Path file,
      List<FunctionConfig> functions,
      List<MappingConfig> mappings,
      Map<String, Map<String, String>> secrets,
      List<AccessKey> accessKeys,
      List<String> errors,
      Map<String, String> origins) {
    int document = 0;
    try (MappingIterator<JsonNode> documents =
        yaml.readerFor(JsonNode.class).readValues(file.toFile())) {
      while (documents.hasNextValue()) {
        document++;
        JsonNode node = documents.nextValue();
        String where = file + " (document " + document + ")";
        if (node == null || node.isNull() || node.isEmpty()) {
          continue;
        }
        String problem =
            switch (node.path("kind").asText("")) {
              case "EventSourceMapping" -> loadMapping(node, where, mappings, origins);
              case "Secret" -> loadSecret(node, secrets, accessKeys);
              default -> loadDocument(node, where, functions, origins);
            };
        if (problem != null) {
          errors.add(where + ": " + problem);
        }
      }
    } catch (IOException | RuntimeException e) {
      errors.add(
          file
              + (document > 0 ? " (document " + document + ")" : "")
              + ": not valid YAML: "
              + firstLine(e.getMessage()));
    }
  }

  /** Loads one document; returns what is wrong with it, or null. */
  private String loadDocument(
      JsonNode node, String where, List<FunctionConfig> functions, Map<String, String> origins) {
    String apiVersion = node.path("apiVersion").asText(null);
    String kind = node.path("kind").asText(null);
    if (!API_VERSION.equals(apiVersion)) {
      return "apiVersion: must be "
          + API_VERSION
          + " (got "
          + (apiVersion == null ? "nothing" : "'" + apiVersion + "'")
          + ")";
    }
    if (!"Function".equals(kind)) {
      return "kind: must be Function, EventSourceMapping or Secret (got "
          + (kind == null ? "nothing" : "'" + kind + "'")
          + ")";
    }
    Function function;
    try {
      function = yaml.treeToValue(node, Function.class);
    } catch (UnrecognizedPropertyException e) {
      return fieldPath(e) + ": unknown field (known here: " + e.getKnownPropertyIds() + ")";
    } catch (MismatchedInputException e) {
      return fieldPath(e) + ": must be " + typeName(e.getTargetType());
    } catch (JsonMappingException e) {
      return fieldPath(e) + ": " + firstLine(e.getOriginalMessage());
    } catch (IOException e) {
      return firstLine(e.getMessage());
    }
    FunctionConfig config;
    try {
      config = validator.validate(function);
    } catch (InvalidFunctionException e) {
      return e.getMessage();
    }
    if (!(config.code() instanceof CodeSource.Inline)) {
      return "spec.code: local mode runs inline code only (configMap and image need a cluster)";
    }
    String interpreter = LocalNode.problem(config.runtime());
    if (interpreter != null) {
      return "spec.runtime: function " + config.key() + ": " + interpreter;
    }
    String earlier = origins.putIfAbsent(config.key(), where);
    if (earlier != null) {
      return "metadata.name: function " + config.key() + " is already defined in " + earlier;
    }
    functions.add(config);
    return null;
  }

  private String loadMapping(
      JsonNode node, String where, List<MappingConfig> mappings, Map<String, String> origins) {
    if (!API_VERSION.equals(node.path("apiVersion").asText(null))) {
      return "apiVersion: must be " + API_VERSION;
    }
    MappingConfig mapping;
    try {
      mapping = mappingValidator.validate(yaml.treeToValue(node, EventSourceMapping.class));
    } catch (UnrecognizedPropertyException e) {
      return fieldPath(e) + ": unknown field (known here: " + e.getKnownPropertyIds() + ")";
    } catch (MismatchedInputException e) {
      return fieldPath(e) + ": must be " + typeName(e.getTargetType());
    } catch (IOException e) {
      return firstLine(e.getMessage());
    } catch (InvalidFunctionException e) {
      return e.getMessage();
    }
    String earlier = origins.putIfAbsent("mapping " + mapping.key(), where);
    if (earlier != null) {
      return "metadata.name: event source mapping "
          + mapping.key()
          + " is already defined in "
          + earlier;
    }
    mappings.add(mapping);
    return null;
  }

  /**
   * A v1 Secret: {@code data} (base64) and {@code stringData}, as the API server merges them; one
   * of type {@value AccessKey#SECRET_TYPE} is an access key too.
   */
  private static String loadSecret(
      JsonNode node, Map<String, Map<String, String>> secrets, List<AccessKey> accessKeys) {
    if (!"v1".equals(node.path("apiVersion").asText(null))) {
      return "apiVersion: a Secret's must be v1";
    }
    String name = node.path("metadata").path("name").asText("");
    if (name.isBlank()) {
      return "metadata.name: is required";
    }
    Map<String, String> data = new HashMap<>();
    for (var entry : node.path("data").properties()) {
      try {
        data.put(
            entry.getKey(),
            new String(
                Base64.getMimeDecoder().decode(entry.getValue().asText()), StandardCharsets.UTF_8));
      } catch (IllegalArgumentException e) {
        return "data." + entry.getKey() + ": must be base64 (use stringData for plain text)";
      }
    }
    node.path("stringData")
        .properties()
        .forEach(entry -> data.put(entry.getKey(), entry.getValue().asText()));
    String namespace = node.path("metadata").path("namespace").asText("default");
    secrets.put(namespace + "/" + name, Map.copyOf(data));
    if (AccessKey.SECRET_TYPE.equals(node.path("type").asText(null))) {
      Map<String, String> annotations = new HashMap<>();
      node.path("metadata")
          .path("annotations")
          .properties()
          .forEach(entry -> annotations.put(entry.getKey(), entry.getValue().asText()));
      try {
        accessKeys.add(
            AccessKey.fromSecret(
                new SecretBuilder()
                    .withNewMetadata()
                    .withNamespace(namespace)
                    .withName(name)
                    .withAnnotations(annotations)
                    .endMetadata()
                    .withType(AccessKey.SECRET_TYPE)
                    .withStringData(data)
                    .build()));
      } catch (IllegalArgumentException e) {
        return e.getMessage();
      }
    }
    return null;
  }

  private static String fieldPath(JsonMappingException e) {
    StringBuilder path = new StringBuilder();
    for (JsonMappingException.Reference ref : e.getPath()) {
      if (ref.getFieldName() != null) {
        if (!path.isEmpty()) {
          path.append('.');
        }
        path.append(ref.getFieldName());
      } else if (ref.getIndex() >= 0) {
        path.append('[').append(ref.getIndex()).append(']');
      }
    }
    return path.isEmpty() ? "(document)" : path.toString();
  }

  private static String typeName(Class<?> type) {
    if (type == null) {
      return "of another type";
    }
    if (type == Integer.class || type == int.class) {
      return "an integer";
    }
    if (type == String.class) {
      return "a string";
    }
    return Map.class.isAssignableFrom(type) ? "a map" : "an object";
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "unknown error";
    }
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }
}
