package dev.klambda.eventsources;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * A mapping's {@code FilterCriteria}: a record is delivered when any pattern matches, and dropped
 * (an SQS message deleted, a Kafka offset committed) and counted as filtered when none does. No
 * patterns let everything through. Lambda matches patterns against a view of the record in which
 * the payload is JSON where it can be, so the views are built here too.
 */
public final class RecordFilter {
  private static final JsonMapper JSON =
      JsonMapper.builder().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();

  private final List<EventPattern> patterns;

  private RecordFilter(List<EventPattern> patterns) {
    this.patterns = patterns;
  }

  /** Parses the patterns (null or empty: no filtering); a message names the index of the bad one. */
  public static RecordFilter of(List<String> patterns) {
    List<EventPattern> parsed = new ArrayList<>();
    for (int i = 0; patterns != null && i < patterns.size(); i++) {
      try {
        parsed.add(EventPattern.parse(patterns.get(i)));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("filterCriteria.filters[" + i + "].pattern: " + e.getMessage(), e);
      }
    }
    return new RecordFilter(List.copyOf(parsed));
  }

  /** Whether there is nothing to filter. */
  public boolean isEmpty() {
    return patterns.isEmpty();
  }

  /** Whether the record view (see {@link #sqsView} and {@link #kafkaView}) is delivered. */
  public boolean accepts(JsonNode record) {
    return patterns.isEmpty() || patterns.stream().anyMatch(pattern -> pattern.matches(record));
  }

  /** An SQS record with its {@code body} parsed when it is a JSON object, else left a plain string. */
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
