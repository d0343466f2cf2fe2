package dev.klambda.destinations;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;

/**
 * The envelope of Lambda's invocation records: what it puts around the records of a mapping that
 * go to its on-failure destination, for every source.
 */
public final class InvocationRecords {
  private static final ObjectMapper JSON = new ObjectMapper();

  private InvocationRecords() {}

  /** Version, time, request context (the condition, how often it was tried) and response context. */
  public static ObjectNode envelope(String requestId, String functionArn, String condition, int invokeCount,
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
}
