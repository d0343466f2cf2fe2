package dev.klambda.destinations;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.junit.jupiter.api.Test;

/** Lambda's invocation record of an Event, as its destinations get it. */
class InvocationRecordsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ARN = "arn:aws:lambda:us-east-1:team-a:function:orders:$LATEST";

  @Test
  void aFailedEventsRecordHasLambdasShape() throws Exception {
    JsonNode record =
        JSON.readTree(
            InvocationRecords.event(
                "req-1",
                ARN,
                "RetriesExhausted",
                3,
                bytes("{\"order\":7}"),
                bytes("{\"errorType\":\"Boom\",\"errorMessage\":\"no\"}"),
                "Unhandled"));

    assertThat(record.get("version").asText()).isEqualTo("1.0");
    assertThat(Instant.parse(record.get("timestamp").asText()))
        .isCloseTo(Instant.now(), within(1, ChronoUnit.MINUTES));
    assertThat(record.get("requestContext"))
        .isEqualTo(
            JSON.readTree(
                """
        {"requestId":"req-1","functionArn":"%s","condition":"RetriesExhausted","approximateInvokeCount":3}
        """
                    .formatted(ARN)));
    assertThat(record.get("requestPayload")).isEqualTo(JSON.readTree("{\"order\":7}"));
    assertThat(record.get("responseContext"))
        .isEqualTo(
            JSON.readTree(
                """
        {"statusCode":200,"executedVersion":"$LATEST","functionError":"Unhandled"}"""));
    assertThat(record.get("responsePayload"))
        .isEqualTo(JSON.readTree("{\"errorType\":\"Boom\",\"errorMessage\":\"no\"}"));
  }

  @Test
  void aSucceededEventsRecordHasNoFunctionErrorAndOneThatNeverRanNoResponse() throws Exception {
    JsonNode success =
        JSON.readTree(
            InvocationRecords.event(
                "req-1", ARN, "Success", 1, bytes("[1,2]"), bytes("\"done\""), null));
    JsonNode expired =
        JSON.readTree(
            InvocationRecords.event("req-2", ARN, "EventAgeExceeded", 0, bytes("{}"), null, null));

    assertThat(success.get("responseContext").has("functionError")).isFalse();
    assertThat(success.get("requestPayload")).isEqualTo(JSON.readTree("[1,2]"));
    assertThat(success.get("responsePayload").asText()).isEqualTo("done");
    assertThat(expired.at("/requestContext/approximateInvokeCount").asInt()).isZero();
    assertThat(expired.has("responsePayload")).isFalse();
  }

  @Test
  void aPayloadThatIsNotJsonIsKeptAsAString() throws Exception {
    JsonNode record =
        JSON.readTree(
            InvocationRecords.event(
                "req-1", ARN, "Success", 1, bytes(""), bytes("plain text"), null));

    assertThat(record.get("requestPayload").isNull()).isTrue();
    assertThat(record.get("responsePayload").asText()).isEqualTo("plain text");
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
