package dev.klambda.membership;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.klambda.environments.InvocationRequest;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * Where the other gateway replicas leave copies of the Events they accept, on the gateway's port:
 * {@code POST /klambda/v1/event-copies/ORIGIN} with the event (its function and request id in
 * headers, the payload as the body) and {@code POST /klambda/v1/event-copies/ORIGIN/done} with the
 * request ids ORIGIN is done with, one per line (none: ORIGIN is still there).
 */
public final class EventCopyApi implements HttpHandler {
  public static final String PATH = "/klambda/v1/event-copies/";
  static final String FUNCTION = "X-Klambda-Function";
  static final String REQUEST_ID = "X-Klambda-Request-Id";
  static final String CLIENT_CONTEXT = "X-Klambda-Client-Context";
  private static final String DONE = "/done";

  private final EventCopies copies;

  public EventCopyApi(EventCopies copies) {
    this.copies = copies;
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String rest = exchange.getRequestURI().getRawPath().substring(PATH.length());
      if (!exchange.getRequestMethod().equals("POST") || rest.isEmpty()) {
        exchange.sendResponseHeaders(404, -1);
        return;
      }
      byte[] body = exchange.getRequestBody().readAllBytes();
      if (rest.endsWith(DONE)) {
        String origin = decode(rest.substring(0, rest.length() - DONE.length()));
        String ids = new String(body, StandardCharsets.UTF_8);
        List<String> done = ids.isBlank() ? List.of() : Arrays.asList(ids.strip().split("\n"));
        copies.forget(origin, done);
      } else {
        String key = exchange.getRequestHeaders().getFirst(FUNCTION);
        String requestId = exchange.getRequestHeaders().getFirst(REQUEST_ID);
        if (key == null || requestId == null) {
          exchange.sendResponseHeaders(400, -1);
          return;
        }
        String context = exchange.getRequestHeaders().getFirst(CLIENT_CONTEXT);
        copies.keep(decode(rest), key, new InvocationRequest(requestId, body,
            context == null ? null : new String(Base64.getDecoder().decode(context), StandardCharsets.UTF_8), false));
      }
      exchange.sendResponseHeaders(204, -1);
    }
  }

  private static String decode(String segment) {
    return URLDecoder.decode(segment, StandardCharsets.UTF_8);
  }
}
