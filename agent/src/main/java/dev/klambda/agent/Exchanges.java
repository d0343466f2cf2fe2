package dev.klambda.agent;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reading and answering {@link HttpExchange}s. The agent's servers have no executor: a handler runs
 * on the server's dispatcher thread unless it asks for a virtual thread, so the warm path (an
 * invocation, the runtime's {@code /next} and {@code /response}) costs no thread hand-off.
 */
final class Exchanges {
  private Exchanges() {}

  /**
   * Bodies up to this size are read on the server's dispatcher thread: a gateway's or a runtime's
   * request of that size has arrived with its headers, so reading it does not wait on the client.
   */
  static final int INLINE_BODY_BYTES = 64 * 1024;

  /**
   * Runs {@code handler} on the thread that asks (the server's dispatcher, when the server has no
   * executor): for handlers that never wait. Unexpected failures are printed and answered with a
   * 500, not swallowed; an exchange that {@code handler} keeps open is answered later through
   * {@link #guarded(HttpExchange, HttpHandler)}.
   */
  static void guarded(HttpExchange exchange, HttpHandler handler) {
    try {
      handler.handle(exchange);
    } catch (IOException | RuntimeException e) {
      System.err.println(
          "klambda-agent: "
              + exchange.getRequestMethod()
              + " "
              + exchange.getRequestURI()
              + " failed: "
              + e);
      try {
        json(exchange, 500, Json.error("AgentError", String.valueOf(e.getMessage())));
      } catch (IOException | RuntimeException alreadyAnswered) {
        // the response had started; the connection is closed below
      }
      exchange.close();
    }
  }

  /**
   * {@code handler} on a virtual thread of its own: for handlers that wait (long polls, process
   * starts).
   */
  static HttpHandler onVirtualThread(HttpHandler handler) {
    return exchange -> Thread.ofVirtual().start(() -> guarded(exchange, handler));
  }

  /**
   * {@code handler} on the dispatcher when the request's body is known to be small, else on a
   * virtual thread (reading a large or chunked body waits on the client).
   */
  static void readingBody(HttpExchange exchange, HttpHandler handler) throws IOException {
    long length = contentLength(exchange);
    if (length >= 0 && length <= INLINE_BODY_BYTES) {
      guarded(exchange, handler);
    } else {
      onVirtualThread(handler).handle(exchange);
    }
  }

  /** The request body, or null when it is longer than {@code limit} bytes. */
  static byte[] body(HttpExchange exchange, int limit) throws IOException {
    long length = contentLength(exchange);
    try (InputStream in = exchange.getRequestBody()) {
      if (length > limit) {
        in.transferTo(OutputStream.nullOutputStream());
        return null;
      }
      if (length >= 0) {
        // exactly the bytes announced: readNBytes(int) would start with a 16 KB buffer per call
        byte[] body = new byte[(int) length];
        int read = in.readNBytes(body, 0, body.length);
        return read == body.length ? body : Arrays.copyOf(body, read);
      }
      byte[] body = in.readNBytes(limit + 1);
      if (body.length > limit) {
        in.transferTo(OutputStream.nullOutputStream());
        return null;
      }
      return body;
    }
  }

  /**
   * The request's {@code Content-Length}, or -1 when it has none (chunked) or it is not a number.
   */
  static long contentLength(HttpExchange exchange) {
    String length = exchange.getRequestHeaders().getFirst("Content-Length");
    if (length == null) {
      return -1;
    }
    try {
      return Long.parseLong(length.trim());
    } catch (NumberFormatException e) {
      return -1;
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
    try (exchange;
        OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }
}
