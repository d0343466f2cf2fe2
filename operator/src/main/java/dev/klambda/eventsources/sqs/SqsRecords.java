package dev.klambda.eventsources.sqs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.klambda.destinations.InvocationRecords;
import java.io.IOException;
import java.time.Instant;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageAttributeValue;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;

/** Lambda's JSON shapes for SQS: the batch event, partial batch responses, on-failure records. */
final class SqsRecords {
  private static final ObjectMapper JSON = new ObjectMapper();

  private SqsRecords() {}

  /** {@code arn:aws:sqs:REGION:ACCOUNT:QUEUE} from a queue URL ({@code .../ACCOUNT/QUEUE}). */
  static String queueArn(String queueUrl, String region) {
    String[] parts = queueUrl.replaceAll("/+$", "").split("/");
    String queue = parts[parts.length - 1];
    String account = parts.length >= 2 ? parts[parts.length - 2] : "000000000000";
    return "arn:aws:sqs:" + region + ":" + account + ":" + queue;
  }

  static ObjectNode record(Message message, String queueArn, String region) {
    ObjectNode record = JSON.createObjectNode();
    record.put("messageId", message.messageId());
    record.put("receiptHandle", message.receiptHandle());
    record.put("body", message.body());
    ObjectNode attributes = record.putObject("attributes");
    message.attributes().forEach((name, value) -> attributes.put(name.toString(), value));
    ObjectNode messageAttributes = record.putObject("messageAttributes");
    message
        .messageAttributes()
        .forEach((name, value) -> messageAttributes.set(name, attribute(value)));
    record.put("md5OfBody", message.md5OfBody());
    record.put("eventSource", "aws:sqs");
    record.put("eventSourceARN", queueArn);
    record.put("awsRegion", region);
    return record;
  }

  private static ObjectNode attribute(MessageAttributeValue value) {
    ObjectNode attribute = JSON.createObjectNode();
    if (value.stringValue() != null) {
      attribute.put("stringValue", value.stringValue());
    }
    if (value.binaryValue() != null) {
      attribute.put(
          "binaryValue", Base64.getEncoder().encodeToString(value.binaryValue().asByteArray()));
    }
    attribute.putArray("stringListValues");
    attribute.putArray("binaryListValues");
    attribute.put("dataType", value.dataType());
    return attribute;
  }

  static byte[] event(List<ObjectNode> records) {
    ObjectNode event = JSON.createObjectNode();
    ArrayNode array = event.putArray("Records");
    records.forEach(array::add);
    try {
      return JSON.writeValueAsBytes(event);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The message ids a ReportBatchItemFailures response names; null when the response is not one
   * (Lambda then treats the whole batch as failed). No response, {@code null}, or one without
   * {@code batchItemFailures} reports no failures.
   */
  static Set<String> batchItemFailures(byte[] response) {
    try {
      JsonNode failures = JSON.readTree(response).get("batchItemFailures");
      if (failures == null || failures.isNull()) {
        return Set.of();
      }
      if (!failures.isArray()) {
        return null;
      }
      Set<String> ids = new HashSet<>();
      for (JsonNode failure : failures) {
        JsonNode id = failure.get("itemIdentifier");
        if (id == null || !id.isTextual() || id.asText().isEmpty()) {
          return null;
        }
        ids.add(id.asText());
      }
      return ids;
    } catch (IOException | RuntimeException notJson) {
      return null; // Lambda: an invalid JSON response fails the whole batch
    }
  }

  static int receiveCount(Message message) {
    String count = message.attributes().get(MessageSystemAttributeName.APPROXIMATE_RECEIVE_COUNT);
    return count == null ? 1 : Integer.parseInt(count);
  }

  static Instant sent(Message message) {
    String millis = message.attributes().get(MessageSystemAttributeName.SENT_TIMESTAMP);
    return millis == null ? Instant.now() : Instant.ofEpochMilli(Long.parseLong(millis));
  }

  /** Lambda's on-failure record: request and response context, the condition, the payload. */
  static String failureRecord(
      ObjectNode record,
      String functionArn,
      String condition,
      int invokeCount,
      String functionError) {
    ObjectNode failure =
        InvocationRecords.envelope(
            record.get("messageId").asText(), functionArn, condition, invokeCount, functionError);
    failure.putObject("requestPayload").putArray("Records").add(record);
    try {
      return JSON.writeValueAsString(failure);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
