package dev.klambda.eventsources.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

class KafkaRecordsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static ConsumerRecord<byte[], byte[]> record(
      int partition, long offset, String key, String value) {
    RecordHeaders headers = new RecordHeaders();
    headers.add("trace", new byte[] {'h', 'i', (byte) 0xff});
    return new ConsumerRecord<>(
        "orders",
        partition,
        offset,
        1_764_000_000_000L + offset,
        TimestampType.CREATE_TIME,
        -1,
        -1,
        key == null ? null : key.getBytes(StandardCharsets.UTF_8),
        value.getBytes(StandardCharsets.UTF_8),
        headers,
        Optional.empty());
  }

  @Test
  void theEventIsLambdasSelfManagedKafkaShape() throws Exception {
    JsonNode event =
        JSON.readTree(
            KafkaRecords.event(
                "broker:9092",
                List.of(
                    record(0, 5, "k", "hello"),
                    record(1, 7, null, "{}"),
                    record(0, 6, "k2", "again"))));

    assertThat(event.get("eventSource").asText()).isEqualTo("SelfManagedKafka");
    assertThat(event.get("bootstrapServers").asText()).isEqualTo("broker:9092");
    assertThat(event.get("records").properties())
        .extracting(Map.Entry::getKey)
        .containsExactly("orders-0", "orders-1");
    JsonNode first = event.get("records").get("orders-0").get(0);
    assertThat(first.get("topic").asText()).isEqualTo("orders");
    assertThat(first.get("partition").asInt()).isZero();
    assertThat(first.get("offset").asLong()).isEqualTo(5);
    assertThat(first.get("timestamp").asLong()).isEqualTo(1_764_000_000_005L);
    assertThat(first.get("timestampType").asText()).isEqualTo("CREATE_TIME");
    assertThat(first.get("key").asText()).isEqualTo("aw==");
    assertThat(first.get("value").asText()).isEqualTo("aGVsbG8=");
    assertThat(first.get("headers").get(0).get("trace").toString()).isEqualTo("[104,105,255]");
    assertThat(event.get("records").get("orders-0").get(1).get("offset").asLong()).isEqualTo(6);
    assertThat(event.get("records").get("orders-1").get(0).has("key")).isFalse();
  }

  @Test
  void batchItemFailuresGiveTheLowestFailedOffsetPerPartition() {
    String response =
        """
        {"batchItemFailures":[{"itemIdentifier":{"partition":0,"offset":9}},
                              {"itemIdentifier":{"partition":0,"offset":7}},
                              {"itemIdentifier":{"topic":"other","partition":2,"offset":1}}]}""";

    assertThat(KafkaRecords.batchItemFailures(response.getBytes(StandardCharsets.UTF_8), "orders"))
        .containsOnly(
            Map.entry(new TopicPartition("orders", 0), 7L),
            Map.entry(new TopicPartition("other", 2), 1L));
  }

  @Test
  void anEmptyOrMissingListIsSuccessAndABadItemFailsTheBatch() {
    assertThat(KafkaRecords.batchItemFailures("{\"batchItemFailures\":[]}".getBytes(), "t"))
        .isEmpty();
    assertThat(KafkaRecords.batchItemFailures("null".getBytes(), "t")).isEmpty();
    assertThat(KafkaRecords.batchItemFailures("{}".getBytes(), "t")).isEmpty();
    assertThat(KafkaRecords.batchItemFailures(new byte[0], "t")).as("no response").isEmpty();
    assertThat(KafkaRecords.batchItemFailures("done, mostly".getBytes(), "t"))
        .as("not JSON")
        .isNull();
    assertThat(
            KafkaRecords.batchItemFailures(
                "{\"batchItemFailures\":[{\"itemIdentifier\":\"\"}]}".getBytes(), "t"))
        .isNull();
    assertThat(
            KafkaRecords.batchItemFailures(
                "{\"batchItemFailures\":[{\"itemIdentifier\":{\"partition\":0}}]}".getBytes(), "t"))
        .isNull();
    assertThat(KafkaRecords.batchItemFailures("{\"batchItemFailures\":{}}".getBytes(), "t"))
        .isNull();
  }

  @Test
  void theFailureRecordCarriesContextPositionAndPayload() throws Exception {
    JsonNode failure =
        JSON.readTree(
            KafkaRecords.failureRecord(
                List.of(record(3, 10, "a", "x"), record(3, 11, "b", "y")),
                "broker:9092",
                "arn:aws:lambda:us-east-1:default:function:report",
                "RetryAttemptsExhausted",
                3,
                "Unhandled"));

    assertThat(failure.at("/requestContext/condition").asText())
        .isEqualTo("RetryAttemptsExhausted");
    assertThat(failure.at("/requestContext/approximateInvokeCount").asInt()).isEqualTo(3);
    assertThat(failure.at("/requestContext/functionArn").asText()).endsWith(":function:report");
    assertThat(failure.at("/responseContext/functionError").asText()).isEqualTo("Unhandled");
    assertThat(failure.at("/KafkaBatchInfo/partition").asInt()).isEqualTo(3);
    assertThat(failure.at("/KafkaBatchInfo/offset").asLong()).isEqualTo(10);
    assertThat(failure.at("/KafkaBatchInfo/lastOffset").asLong()).isEqualTo(11);
    assertThat(failure.at("/KafkaBatchInfo/batchSize").asInt()).isEqualTo(2);
    assertThat(failure.at("/payload/records/orders-3")).hasSize(2);
  }
}
