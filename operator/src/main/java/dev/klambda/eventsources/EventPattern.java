package dev.klambda.eventsources;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One pattern of a Lambda event source mapping's {@code FilterCriteria}, in EventBridge event-pattern
 * syntax. Lambda drops (and counts as filtered) the records that no pattern matches, so a mapping with
 * filters needs them checked here before a batch is built. Keys are ANDed, the values in a leaf array
 * are ORed, {@code $or} ORs whole sub-patterns, and a record array matches when any element does.
 * The operators are those of {@link ValueMatcher}.
 */
public final class EventPattern {
  private static final JsonMapper JSON = JsonMapper.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
      .build();

  private final Fields root;

  private EventPattern(Fields root) {
    this.root = root;
  }

  /** Parses a pattern; the message of the exception names the path and the rule that is broken. */
  public static EventPattern parse(String patternJson) {
    JsonNode pattern;
    try {
      pattern = JSON.readTree(patternJson == null ? "" : patternJson);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("the pattern is not valid JSON: " + e.getOriginalMessage());
    }
    if (pattern == null || !pattern.isObject()) {
      throw new IllegalArgumentException("the pattern must be a JSON object (got '" + patternJson + "')");
    }
    return new EventPattern(Fields.of(pattern, ""));
  }

  /** Whether the record (as Lambda presents it to filters, see {@link RecordFilter}) matches. */
  public boolean matches(JsonNode record) {
    return root.matches(record);
  }

  /** What a key of a pattern object holds: a leaf array of matchers, or a nested pattern object. */
  private sealed interface Node permits Fields, Leaf {}

  /** A pattern object: every key must match, and so must one alternative of its {@code $or}, if any. */
  private record Fields(Map<String, Node> fields, List<Fields> or) implements Node {
    static Fields of(JsonNode object, String path) {
      if (object.isEmpty()) {
        String subject = path.isEmpty() ? "the pattern" : path + ":";
        throw new IllegalArgumentException(subject + " must not be an empty object");
      }
      Map<String, Node> fields = new LinkedHashMap<>();
      List<Fields> or = new ArrayList<>();
      for (Map.Entry<String, JsonNode> field : object.properties()) {
        String fieldPath = path.isEmpty() ? field.getKey() : path + "." + field.getKey();
        JsonNode value = field.getValue();
        if (field.getKey().equals("$or")) {
          or = alternatives(value, fieldPath);
        } else if (value.isObject()) {
          fields.put(field.getKey(), of(value, fieldPath));
        } else if (value.isArray()) {
          fields.put(field.getKey(), Leaf.of(value, fieldPath));
        } else {
          throw ValueMatcher.fail(fieldPath, "must be an array of values or a nested object (got " + value + ")");
        }
      }
      return new Fields(fields, or);
    }

    private static List<Fields> alternatives(JsonNode value, String path) {
      if (!value.isArray() || value.isEmpty()) {
        throw ValueMatcher.fail(path, "$or needs a non-empty array of pattern objects (got " + value + ")");
      }
      List<Fields> alternatives = new ArrayList<>();
      for (int i = 0; i < value.size(); i++) {
        if (!value.get(i).isObject()) {
          throw ValueMatcher.fail(path + "[" + i + "]", "$or needs pattern objects (got " + value.get(i) + ")");
        }
        alternatives.add(of(value.get(i), path + "[" + i + "]"));
      }
      return alternatives;
    }

    /** {@code record} may be null or not an object, when every key is absent. */
    boolean matches(JsonNode record) {
      for (Map.Entry<String, Node> field : fields.entrySet()) {
        JsonNode value = record != null && record.isObject() ? record.get(field.getKey()) : null;
        boolean matched = switch (field.getValue()) {
          case Leaf leaf -> leaf.matches(value);
          case Fields nested -> nested.matchesAnyObject(value);
        };
        if (!matched) {
          return false;
        }
      }
      return or.isEmpty() || or.stream().anyMatch(alternative -> alternative.matches(record));
    }

    /** An object value, or any object in an array value; with none, the keys are all absent. */
    private boolean matchesAnyObject(JsonNode value) {
      List<JsonNode> objects = new ArrayList<>();
      flatten(value, objects, true);
      return objects.isEmpty() ? matches(null) : objects.stream().anyMatch(this::matches);
    }
  }

  /** A leaf array: matches when any matcher matches the leaf values at the path. */
  private record Leaf(List<ValueMatcher> matchers) implements Node {
    static Leaf of(JsonNode array, String path) {
      if (array.isEmpty()) {
        throw ValueMatcher.fail(path, "must not be an empty array");
      }
      List<ValueMatcher> matchers = new ArrayList<>();
      for (JsonNode entry : array) {
        matchers.add(ValueMatcher.parse(entry, path));
      }
      return new Leaf(List.copyOf(matchers));
    }

    boolean matches(JsonNode value) {
      List<JsonNode> leaves = new ArrayList<>();
      flatten(value, leaves, false);
      return matchers.stream().anyMatch(matcher -> matcher.matchesAny(leaves));
    }
  }

  /** Collects the objects (or the non-container values) of a value, looking inside arrays. */
  private static void flatten(JsonNode value, List<JsonNode> into, boolean objects) {
    if (value == null || value.isMissingNode()) {
      return;
    }
    if (value.isArray()) {
      value.forEach(element -> flatten(element, into, objects));
    } else if (value.isObject() == objects) {
      into.add(value);
    }
  }
}
