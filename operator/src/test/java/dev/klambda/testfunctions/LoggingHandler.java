package dev.klambda.testfunctions;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.LambdaLogger;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import java.util.Map;

/**
 * Logs as handlers do: two {@code log()} calls without a newline, a message of several lines, and,
 * when asked, an exception (which the runtime interface client logs after posting it).
 */
public class LoggingHandler implements RequestHandler<Map<String, Object>, String> {
  @Override
  public String handleRequest(Map<String, Object> event, Context context) {
    LambdaLogger logger = context.getLogger();
    logger.log("first record");
    logger.log("second record");
    logger.log("a record of\nthree\nlines");
    if (event.containsKey("fail")) {
      throw new IllegalStateException("failing on purpose: " + event.get("fail"));
    }
    return "logged";
  }
}
