package dev.klambda.eventsources.sqs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Lambda's success and failure conditions for an SQS partial batch response. */
class SqsRecordsTest {
  private static byte[] bytes(String response) {
    return response.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void theReportedMessageIdsFail() {
    assertThat(
            SqsRecords.batchItemFailures(
                bytes("{\"batchItemFailures\":[{\"itemIdentifier\":\"m-2\"}]}")))
        .containsExactly("m-2");
  }

  @Test
  void anEmptyOrNullListOrResponseIsCompleteSuccess() {
    assertThat(SqsRecords.batchItemFailures(bytes("{\"batchItemFailures\":[]}"))).isEmpty();
    assertThat(SqsRecords.batchItemFailures(bytes("{\"batchItemFailures\":null}"))).isEmpty();
    assertThat(SqsRecords.batchItemFailures(bytes("{}"))).isEmpty();
    assertThat(SqsRecords.batchItemFailures(bytes("null"))).isEmpty();
    assertThat(SqsRecords.batchItemFailures(new byte[0])).isEmpty();
  }

  @Test
  void invalidJsonOrABadItemIdentifierIsCompleteFailure() {
    assertThat(SqsRecords.batchItemFailures(bytes("ok, mostly"))).isNull();
    assertThat(
            SqsRecords.batchItemFailures(
                bytes("{\"batchItemFailures\":[{\"itemIdentifier\":\"\"}]}")))
        .isNull();
    assertThat(
            SqsRecords.batchItemFailures(
                bytes("{\"batchItemFailures\":[{\"itemIdentifier\":null}]}")))
        .isNull();
    assertThat(
            SqsRecords.batchItemFailures(bytes("{\"batchItemFailures\":[{\"itemId\":\"m-2\"}]}")))
        .isNull();
  }
}
