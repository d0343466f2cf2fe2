package dev.klambda.eventsources.filter;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import software.amazon.event.ruler.GenericMachine;
import software.amazon.event.ruler.JsonRuleCompiler;
import software.amazon.event.ruler.Patterns;

/**
 * A mapping's {@code FilterCriteria}: a record is delivered when any pattern matches, and dropped
 * (an SQS message deleted, a Kafka offset committed) and counted as filtered when none does. No
 * patterns let everything through. The patterns are EventBridge event patterns, matched by AWS's
 * event-ruler: they are compiled once per mapping into one machine, each pattern a rule named by
 * its index, which tells in one pass over a record whether any of them matches. The machine is
 * complete before the filter is handed out and only read afterwards, so the mapping's poller
 * threads share it. Lambda matches patterns against a view of the record in which the payload is
 * JSON where it can be, so the views are built here too.
 */
public final class RecordFilter {
  private static final JsonMapper JSON =
      JsonMapper.builder().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();

  /**
   * event-ruler takes a repeated key or text after the pattern without a word; a pattern must be
   * strict JSON.
   */
  private static final JsonMapper STRICT =
      JsonMapper.builder()
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .build();

  /**
   * The patterns, each a rule named by its index (a {@code $or} adds several); null when there are
   * none.
   */
  private final GenericMachine<Integer> machine;

  private RecordFilter(GenericMachine<Integer> machine) {
    this.machine = machine;
  }

  /**
   * Compiles the patterns (null or empty: no filtering); a message names the index of the bad one
   * and gives event-ruler's reason.
   */
  public static RecordFilter of(List<String> patterns) {
    if (patterns == null || patterns.isEmpty()) {
      return new RecordFilter(null);
    }
    GenericMachine<Integer> machine = new GenericMachine<>();
    for (int i = 0; i < patterns.size(); i++) {
      try {
        for (var rule : compile(patterns.get(i) == null ? "" : patterns.get(i))) {
          machine.addPatternRule(i, rule);
        }
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "filterCriteria.filters[" + i + "].pattern: " + e.getMessage(), e);
      }
    }
    return new RecordFilter(machine);
  }

  /**
   * One pattern as event-ruler's rules (several for a {@code $or}); the message gives the reason.
   */
  private static List<Map<String, List<Patterns>>> compile(String pattern) {
    try {
      STRICT.readTree(pattern);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(
          "the pattern is not valid JSON: " + e.getOriginalMessage(), e);
    }
    try {
      return JsonRuleCompiler.compile(pattern);
    } catch (JsonProcessingException e) {
      JsonLocation at = e.getLocation();
      throw new IllegalArgumentException(
          e.getOriginalMessage()
              + (at == null
                  ? ""
                  : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")"),
          e);
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  /** Whether there is nothing to filter. */
  public boolean isEmpty() {
    return machine == null;
  }

  /** Whether the record view (see {@link #sqsView} and {@link #kafkaView}) is delivered. */
  public boolean accepts(JsonNode record) {
    return machine == null || !machine.rulesForJSONEvent(record).isEmpty();
  }

  /**
   * An SQS record with its {@code body} parsed when it is a JSON object, else left a plain string.
   */
  public static JsonNode sqsView(ObjectNode sqsRecord) {
    ObjectNode view = sqsRecord.deepCopy();
    JsonNode body = sqsRecord.get("body");
    if (body != null && body.isTextual()) {
      view.set("body", jsonObjectOr(body.textValue()));
    }
    return view;
  }

  /**
   * A Kafka record with its base64 {@code value} decoded: parsed when it is a JSON object, else the
   * UTF-8 text; a value that is not base64 of UTF-8 text is left as it is.
   */
  public static JsonNode kafkaView(ObjectNode kafkaRecord) {
    ObjectNode view = kafkaRecord.deepCopy();
    JsonNode value = kafkaRecord.get("value");
    if (value != null && value.isTextual()) {
      try {
        byte[] bytes = Base64.getDecoder().decode(value.textValue());
        String text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
        view.set("value", jsonObjectOr(text));
      } catch (IllegalArgumentException | CharacterCodingException e) {
        // not base64 of text: filters see the value as it came
      }
    }
    return view;
  }

  private static JsonNode jsonObjectOr(String text) {
    try {
      JsonNode parsed = JSON.readTree(text);
      if (parsed != null && parsed.isObject()) {
        return parsed;
      }
    } catch (IOException e) {
      // not JSON: matched as a plain string
    }
    return JSON.getNodeFactory().textNode(text);
  }
}
