package dev.klambda.testfunctions;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import java.util.List;
import java.util.Map;

/** A function URL handler: reads the payload format 2.0 event, answers with a statusCode object. */
public class HttpHandler implements RequestHandler<Map<String, Object>, Map<String, Object>> {
  @Override
  @SuppressWarnings("unchecked")
  public Map<String, Object> handleRequest(Map<String, Object> event, Context context) {
    Map<String, Object> requestContext = (Map<String, Object>) event.get("requestContext");
    Map<String, Object> http = (Map<String, Object>) requestContext.get("http");
    Map<String, Object> query =
        (Map<String, Object>) event.getOrDefault("queryStringParameters", Map.of());
    Map<String, Object> headers = (Map<String, Object>) event.get("headers");
    if ("/fail".equals(event.get("rawPath"))) {
      throw new IllegalStateException("asked to fail");
    }
    String body =
        http.get("method")
            + " "
            + event.get("rawPath")
            + " x="
            + query.get("x")
            + " cookies="
            + event.get("cookies")
            + " accept="
            + headers.get("accept")
            + " base64="
            + event.get("isBase64Encoded")
            + " body="
            + event.get("body")
            + " version="
            + event.get("version")
            + " stage="
            + requestContext.get("stage");
    return Map.of(
        "statusCode",
        201,
        "headers",
        Map.of("content-type", "text/plain", "x-handled-by", context.getFunctionName()),
        "cookies",
        List.of("session=abc; Path=/", "theme=dark"),
        "body",
        body);
  }
}
