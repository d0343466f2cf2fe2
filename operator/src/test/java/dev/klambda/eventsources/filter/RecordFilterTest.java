package dev.klambda.eventsources.filter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

class RecordFilterTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static ObjectNode sqs(String body) {
    ObjectNode record = JSON.createObjectNode();
    record.put("messageId", "m-1");
    record.put("body", body);
    record.put("eventSource", "aws:sqs");
    return record;
  }

  private static ObjectNode kafka(byte[] value) {
    ObjectNode record = JSON.createObjectNode();
    record.put("topic", "orders");
    record.put("partition", 0);
    record.put("offset", 42);
    record.put("value", Base64.getEncoder().encodeToString(value));
    return record;
  }

  private static ObjectNode kafka(String value) {
    return kafka(value.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void noPatternsLetEverythingThrough() {
    assertThat(RecordFilter.of(List.of()).accepts(sqs("x"))).isTrue();
    assertThat(RecordFilter.of(null).accepts(sqs("x"))).isTrue();
    assertThat(RecordFilter.of(List.of()).isEmpty()).isTrue();
  }

  @Test
  void anyPatternMatching() {
    RecordFilter filter =
        RecordFilter.of(
            List.of(
                "{\"body\": {\"kind\": [\"order\"]}}",
                "{\"body\": {\"priority\": [{\"numeric\": [\">=\", 5]}]}}"));
    assertThat(filter.isEmpty()).isFalse();
    assertThat(filter.accepts(RecordFilter.sqsView(sqs("{\"kind\": \"order\"}")))).isTrue();
    assertThat(filter.accepts(RecordFilter.sqsView(sqs("{\"kind\": \"refund\", \"priority\": 7}"))))
        .isTrue();
    assertThat(filter.accepts(RecordFilter.sqsView(sqs("{\"kind\": \"refund\", \"priority\": 1}"))))
        .isFalse();
    assertThat(filter.accepts(RecordFilter.sqsView(sqs("order")))).isFalse();
  }

  @Test
  void badPatternsAreReportedByIndex() {
    assertThatThrownBy(
            () ->
                RecordFilter.of(
                    List.of(
                        "{\"a\": [\"x\"]}",
                        "{\"a\": [\"y\"]}",
                        "{\"body\": {\"price\": [{\"numeric\": [\">\", \"5\"]}]}}")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "filterCriteria.filters[2].pattern: Value of > must be numeric (line 1, column 40)");
    assertThatThrownBy(() -> RecordFilter.of(List.of("nope")))
        .hasMessageStartingWith("filterCriteria.filters[0].pattern: the pattern is not valid JSON");
  }

  @Test
  void sqsViewParsesJsonObjectBodies() {
    ObjectNode record = sqs("{\"kind\": \"order\", \"total\": 12.5}");
    JsonNode view = RecordFilter.sqsView(record);
    assertThat(view.get("body").get("kind").asText()).isEqualTo("order");
    assertThat(view.get("messageId").asText()).isEqualTo("m-1");
    assertThat(record.get("body").isTextual()).as("the record itself is untouched").isTrue();
  }

  @Test
  void sqsViewKeepsOtherBodiesAsStrings() {
    assertThat(RecordFilter.sqsView(sqs("hello")).get("body").textValue()).isEqualTo("hello");
    assertThat(RecordFilter.sqsView(sqs("123")).get("body").textValue()).isEqualTo("123");
    assertThat(RecordFilter.sqsView(sqs("[1, 2]")).get("body").textValue()).isEqualTo("[1, 2]");
    assertThat(RecordFilter.sqsView(sqs("{\"a\": 1} trailing")).get("body").isTextual()).isTrue();
    assertThat(RecordFilter.sqsView(sqs("{broken")).get("body").textValue()).isEqualTo("{broken");
    RecordFilter plain = RecordFilter.of(List.of("{\"body\": [{\"prefix\": \"hel\"}]}"));
    assertThat(plain.accepts(RecordFilter.sqsView(sqs("hello")))).isTrue();
    assertThat(plain.accepts(RecordFilter.sqsView(sqs("{\"hello\": 1}")))).isFalse();
  }

  @Test
  void kafkaViewDecodesTheValue() {
    JsonNode json = RecordFilter.kafkaView(kafka("{\"kind\": \"order\"}"));
    assertThat(json.get("value").get("kind").asText()).isEqualTo("order");
    assertThat(json.get("offset").asLong()).isEqualTo(42);
    assertThat(RecordFilter.kafkaView(kafka("plain text")).get("value").textValue())
        .isEqualTo("plain text");
    RecordFilter filter = RecordFilter.of(List.of("{\"value\": {\"kind\": [\"order\"]}}"));
    assertThat(filter.accepts(RecordFilter.kafkaView(kafka("{\"kind\": \"order\"}")))).isTrue();
    assertThat(filter.accepts(RecordFilter.kafkaView(kafka("{\"kind\": \"refund\"}")))).isFalse();
  }

  @Test
  void kafkaViewLeavesUndecodableValues() {
    byte[] binary = {(byte) 0xff, (byte) 0xfe, 0x00};
    ObjectNode record = kafka(binary);
    assertThat(RecordFilter.kafkaView(record).get("value")).isEqualTo(record.get("value"));
    ObjectNode notBase64 = kafka("x");
    notBase64.put("value", "%%%");
    assertThat(RecordFilter.kafkaView(notBase64).get("value").textValue()).isEqualTo("%%%");
    ObjectNode noValue = kafka("x");
    noValue.putNull("value");
    assertThat(RecordFilter.kafkaView(noValue).get("value").isNull()).isTrue();
  }
}
