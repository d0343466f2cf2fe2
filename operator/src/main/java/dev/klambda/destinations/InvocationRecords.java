package dev.klambda.destinations;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * Lambda's invocation records: the envelope it puts around the records of a mapping that go to its
 * on-failure destination (for every source), and the whole record of an Event invocation that goes
 * to its function's onSuccess or onFailure destination.
 */
public final class InvocationRecords {
  private static final ObjectMapper JSON = new ObjectMapper();

  private InvocationRecords() {}

  /**
   * Version, time, request context (the condition, how often it was tried) and response context.
   */
  public static ObjectNode envelope(
      String requestId,
      String functionArn,
      String condition,
      int invokeCount,
      String functionError) {
    ObjectNode failure = JSON.createObjectNode();
    failure.put("version", "1.0");
    failure.put("timestamp", Instant.now().toString());
    ObjectNode request = failure.putObject("requestContext");
    request.put("requestId", requestId);
    request.put("functionArn", functionArn);
    request.put("condition", condition);
    request.put("approximateInvokeCount", invokeCount);
    ObjectNode response = failure.putObject("responseContext");
    response.put("statusCode", 200);
    response.put("executedVersion", "$LATEST");
    if (functionError != null) {
      response.put("functionError", functionError);
    }
    return failure;
  }

  /**
   * The record of an Event invocation: the envelope, the event as {@code requestPayload} and, when
   * an attempt ran, the last one's answer as {@code responsePayload}.
   *
   * @param condition {@code Success}, {@code RetriesExhausted} or {@code EventAgeExceeded}
   * @param invokeCount the attempts that ran
   * @param responsePayload the last attempt's answer; null when none ran
   * @param functionError {@code Unhandled} when the last attempt failed; else null
   */
  public static String event(
      String requestId,
      String functionArn,
      String condition,
      int invokeCount,
      byte[] requestPayload,
      byte[] responsePayload,
      String functionError) {
    ObjectNode record = envelope(requestId, functionArn, condition, invokeCount, functionError);
    record.set("requestPayload", json(requestPayload));
    if (responsePayload != null) {
      record.set("responsePayload", json(responsePayload));
    }
    try {
      return JSON.writeValueAsString(record);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A payload as JSON; one that is not JSON (a runtime may answer anything) as a string. */
  private static JsonNode json(byte[] payload) {
    if (payload.length == 0) {
      return NullNode.getInstance();
    }
    try {
      return JSON.readTree(payload);
    } catch (IOException notJson) {
      return TextNode.valueOf(new String(payload, StandardCharsets.UTF_8));
    }
  }
}
