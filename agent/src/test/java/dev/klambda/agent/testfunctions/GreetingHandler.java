package dev.klambda.agent.testfunctions;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A plain java21 handler for the runtime image's tests (packaged into a function jar by the test):
 * greets, and tells what the runtime interface client and the JVM say about the environment.
 */
public class GreetingHandler implements RequestHandler<Map<String, Object>, Map<String, Object>> {
  @Override
  public Map<String, Object> handleRequest(Map<String, Object> event, Context context) {
    context.getLogger().log("greeting " + event.get("name"));
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("greeting", "hello " + event.get("name"));
    answer.put("functionName", context.getFunctionName());
    answer.put("memoryLimitInMB", context.getMemoryLimitInMB());
    answer.put("maxHeapMB", Runtime.getRuntime().maxMemory() / (1024 * 1024));
    answer.put("taskRoot", System.getenv("LAMBDA_TASK_ROOT"));
    return answer;
  }
}
