package example;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.LambdaLogger;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import java.util.Map;

/** A Lambda handler as written for AWS: the event in, a JSON object out. */
public class Hello implements RequestHandler<Map<String, Object>, Map<String, Object>> {
  /** Runs once per execution environment (Init), not per invocation. */
  private final long startedAt = System.currentTimeMillis();

  @Override
  public Map<String, Object> handleRequest(Map<String, Object> event, Context context) {
    LambdaLogger logger = context.getLogger();
    Object name = event.getOrDefault("name", "world");
    logger.log("greeting " + name);
    return Map.of(
        "message", "Hello, " + name + "!",
        "function", context.getFunctionName(),
        "memoryLimitInMB", context.getMemoryLimitInMB(),
        "requestId", context.getAwsRequestId(),
        "environmentAgeMs", System.currentTimeMillis() - startedAt);
  }
}
