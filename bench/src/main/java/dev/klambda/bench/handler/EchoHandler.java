package dev.klambda.bench.handler;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The java21 benchmark handler: a plain RequestHandler that echoes the event. The harness packs
 * this class alone into function.jar; AWS's runtime interface client runs it.
 */
public class EchoHandler implements RequestHandler<Map<String, Object>, Map<String, Object>> {
  @Override
  public Map<String, Object> handleRequest(Map<String, Object> event, Context context) {
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("event", event);
    answer.put("requestId", context.getAwsRequestId());
    return answer;
  }
}
