package dev.klambda.testfunctions;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import java.util.LinkedHashMap;
import java.util.Map;

/** A plain Lambda handler: echoes the event with what the context says. */
public class EchoHandler implements RequestHandler<Map<String, Object>, Map<String, Object>> {
  @Override
  public Map<String, Object> handleRequest(Map<String, Object> event, Context context) {
    context.getLogger().log("java handler got " + event);
    if (event.containsKey("fail")) {
      throw new IllegalArgumentException("asked to fail: " + event.get("fail"));
    }
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("event", event);
    answer.put("functionName", context.getFunctionName());
    answer.put("requestId", context.getAwsRequestId());
    answer.put("memoryLimitInMB", context.getMemoryLimitInMB());
    answer.put("invokedFunctionArn", context.getInvokedFunctionArn());
    answer.put("remainingTimeInMillis", context.getRemainingTimeInMillis());
    return answer;
  }
}
