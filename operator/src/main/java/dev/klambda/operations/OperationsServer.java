package dev.klambda.operations;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.klambda.auth.MetricsReaders;
import dev.klambda.metering.PrometheusMetrics;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * The operations port: {@code GET /metrics} in Prometheus' text format, {@code /healthz} (the
 * process answers: liveness) and {@code /readyz} (this replica serves: readiness, so a Service
 * sends invocations only to the replica that leads).
 */
public final class OperationsServer implements AutoCloseable {
  private static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
  private final HttpServer server;

  public OperationsServer(
      InetSocketAddress address, PrometheusMetrics metrics, BooleanSupplier ready)
      throws IOException {
    this(address, metrics, ready, MetricsReaders.anyone());
  }

  /**
   * @param readers who may read {@code /metrics}; the probes' paths are open (the kubelet asks)
   */
  public OperationsServer(
      InetSocketAddress address,
      PrometheusMetrics metrics,
      BooleanSupplier ready,
      MetricsReaders readers)
      throws IOException {
    server = HttpServer.create(address, 64);
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    server.createContext(
        "/metrics",
        exchange -> {
          int status = readers.status(exchange.getRequestHeaders().getFirst("Authorization"));
          if (status != 200) {
            if (status == 401) {
              exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer");
            }
            text(
                exchange,
                status,
                status == 401
                    ? "a bearer token is required (--metrics-auth kubernetes)\n"
                    : status == 403
                        ? "RBAC does not let this token get /metrics\n"
                        : "the API server cannot be asked\n");
            return;
          }
          try (exchange) {
            byte[] body = metrics.scrape().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
              out.write(body);
            }
          }
        });
    server.createContext("/healthz", exchange -> text(exchange, 200, "ok\n"));
    server.createContext(
        "/readyz",
        exchange -> {
          if (ready.getAsBoolean()) {
            text(exchange, 200, "ready\n");
          } else {
            text(exchange, 503, "standby: another replica leads\n");
          }
        });
  }

  private static void text(HttpExchange exchange, int status, String text) throws IOException {
    try (exchange) {
      byte[] body = text.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
      exchange.sendResponseHeaders(status, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  public void start() {
    server.start();
  }

  /** Where Prometheus scrapes, e.g. {@code http://127.0.0.1:9090/metrics}. */
  public String url() {
    return "http://"
        + server.getAddress().getHostString()
        + ":"
        + server.getAddress().getPort()
        + "/metrics";
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
