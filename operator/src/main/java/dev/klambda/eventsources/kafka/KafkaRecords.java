package dev.klambda.eventsources.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.klambda.destinations.InvocationRecords;
import java.io.IOException;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;

/**
 * Lambda's JSON shapes for self-managed Kafka: the batch event (records grouped under {@code
 * topic-partition}, keys and values base64, headers as byte arrays), partial batch responses, and
 * on-failure records.
 */
final class KafkaRecords {
  private static final ObjectMapper JSON = new ObjectMapper();

  private KafkaRecords() {}

  static ObjectNode record(ConsumerRecord<byte[], byte[]> record) {
    ObjectNode json = JSON.createObjectNode();
    json.put("topic", record.topic());
    json.put("partition", record.partition());
    json.put("offset", record.offset());
    json.put("timestamp", record.timestamp());
    json.put("timestampType", record.timestampType().name());
    if (record.key() != null) {
      json.put("key", Base64.getEncoder().encodeToString(record.key()));
    }
    if (record.value() != null) {
      json.put("value", Base64.getEncoder().encodeToString(record.value()));
    }
    ArrayNode headers = json.putArray("headers");
    for (Header header : record.headers()) {
      ArrayNode bytes = headers.addObject().putArray(header.key());
      if (header.value() != null) {
        for (byte b : header.value()) {
          bytes.add(b & 0xff); // unsigned, as a list of byte values in every language's JSON
        }
      }
    }
    return json;
  }

  static byte[] event(String bootstrapServers, List<ConsumerRecord<byte[], byte[]>> records) {
    return bytes(eventNode(bootstrapServers, records));
  }

  private static ObjectNode eventNode(
      String bootstrapServers, List<ConsumerRecord<byte[], byte[]>> records) {
    ObjectNode event = JSON.createObjectNode();
    event.put("eventSource", "SelfManagedKafka");
    event.put("bootstrapServers", bootstrapServers);
    ObjectNode byPartition = event.putObject("records");
    for (ConsumerRecord<byte[], byte[]> record : records) {
      String key = record.topic() + "-" + record.partition();
      ArrayNode list =
          byPartition.has(key) ? (ArrayNode) byPartition.get(key) : byPartition.putArray(key);
      list.add(record(record));
    }
    return event;
  }

  /**
   * The lowest failed offset per partition a ReportBatchItemFailures response names: items are
   * {@code {"itemIdentifier": {"topic": T, "partition": P, "offset": O}}} (topic optional: the
   * mapping's). As for streams, the batch is checkpointed before the lowest failed offset and
   * everything from there on is retried. Null when the response is not a valid one (the whole batch
   * failed); an empty map when it reports no failures.
   */
  static Map<TopicPartition, Long> batchItemFailures(byte[] response, String topic) {
    JsonNode failures;
    try {
      failures = JSON.readTree(response).get("batchItemFailures");
    } catch (IOException | RuntimeException notJson) {
      return null; // as for SQS: an invalid JSON response fails the whole batch
    }
    if (failures == null || failures.isNull()) {
      return Map.of();
    }
    if (!failures.isArray()) {
      return null;
    }
    Map<TopicPartition, Long> lowest = new HashMap<>();
    for (JsonNode failure : failures) {
      JsonNode id = failure.get("itemIdentifier");
      if (id == null
          || !id.isObject()
          || !id.path("partition").canConvertToInt()
          || !id.path("offset").isIntegralNumber()) {
        return null;
      }
      TopicPartition partition =
          new TopicPartition(id.path("topic").asText(topic), id.get("partition").asInt());
      lowest.merge(partition, id.get("offset").asLong(), Math::min);
    }
    return lowest;
  }

  /**
   * Lambda's on-failure record for Kafka: request and response context, the batch's position
   * ({@code KafkaBatchInfo}, one partition per record) and the records themselves as the event the
   * function was given.
   */
  static String failureRecord(
      List<ConsumerRecord<byte[], byte[]>> records,
      String bootstrapServers,
      String functionArn,
      String condition,
      int invokeCount,
      String functionError) {
    ConsumerRecord<byte[], byte[]> first = records.getFirst();
    ConsumerRecord<byte[], byte[]> last = records.getLast();
    ObjectNode failure =
        InvocationRecords.envelope(
            first.topic() + "-" + first.partition() + "@" + first.offset(),
            functionArn,
            condition,
            invokeCount,
            functionError);
    ObjectNode info = failure.putObject("KafkaBatchInfo");
    info.put("batchSize", records.size());
    info.put("topic", first.topic());
    info.put("partition", first.partition());
    info.put("offset", first.offset());
    info.put("lastOffset", last.offset());
    info.put("bootstrapServers", bootstrapServers);
    info.put("approximateArrivalOfFirstRecord", Instant.ofEpochMilli(first.timestamp()).toString());
    info.put("approximateArrivalOfLastRecord", Instant.ofEpochMilli(last.timestamp()).toString());
    failure.set("payload", eventNode(bootstrapServers, records));
    return new String(bytes(failure), java.nio.charset.StandardCharsets.UTF_8);
  }

  private static byte[] bytes(JsonNode node) {
    try {
      return JSON.writeValueAsBytes(node);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
