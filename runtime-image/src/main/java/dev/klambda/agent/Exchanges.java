package dev.klambda.agent;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/** Reading and answering {@link HttpExchange}s. */
final class Exchanges {
  private Exchanges() {}

  /** A handler whose unexpected failures are printed and answered with a 500, not swallowed. */
  static HttpHandler guarded(HttpHandler handler) {
    return exchange -> {
      try {
        handler.handle(exchange);
      } catch (IOException | RuntimeException e) {
        System.err.println("klambda-agent: " + exchange.getRequestMethod() + " "
            + exchange.getRequestURI() + " failed: " + e);
        try {
          json(exchange, 500, Json.error("AgentError", String.valueOf(e.getMessage())));
        } catch (IOException | RuntimeException alreadyAnswered) {
          // the response had started; the connection is closed below
        }
        exchange.close();
      }
    };
  }

  /** The request body, or null when it is longer than {@code limit} bytes. */
  static byte[] body(HttpExchange exchange, int limit) throws IOException {
    try (InputStream in = exchange.getRequestBody()) {
      byte[] body = in.readNBytes(limit + 1);
      if (body.length > limit) {
        in.transferTo(OutputStream.nullOutputStream());
        return null;
      }
      return body;
    }
  }

  static void json(HttpExchange exchange, int status, String json) throws IOException {
    send(exchange, status, json.getBytes(StandardCharsets.UTF_8));
  }

  static void send(HttpExchange exchange, int status, byte[] body) throws IOException {
    if (!exchange.getResponseHeaders().containsKey("Content-Type")) {
      exchange.getResponseHeaders().set("Content-Type", "application/json");
    }
    exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }
}
