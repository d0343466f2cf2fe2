package dev.klambda.bench.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.concurrent.Executors;

/**
 * The JDK's HttpServer as the agent's InvokeServer runs it: a handler per exchange on a virtual
 * thread ({@code jdk-virtual}), on a pooled platform thread ({@code jdk-platform}), or on the
 * server's dispatcher thread itself ({@code jdk-dispatcher}: no hand-off, one exchange at a time).
 */
final class JdkServer implements StackServer.Stack {
  /** Where an exchange's handler runs. */
  enum Handlers {
    VIRTUAL,
    PLATFORM,
    DISPATCHER
  }

  private final Handlers handlers;

  JdkServer(Handlers handlers) {
    this.handlers = handlers;
  }

  @Override
  public void start(InetSocketAddress address) throws IOException {
    System.setProperty("sun.net.httpserver.nodelay", "true"); // as the agent
    HttpServer server = HttpServer.create(address, 64);
    switch (handlers) {
      case VIRTUAL -> server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
      case PLATFORM -> server.setExecutor(Executors.newCachedThreadPool());
      case DISPATCHER -> {} // the server's own thread
    }
    server.createContext("/", this::answer);
    server.start();
  }

  private void answer(HttpExchange exchange) throws IOException {
    try (exchange) {
      byte[] body;
      try (InputStream in = exchange.getRequestBody()) {
        body = in.readAllBytes();
      }
      exchange.getResponseHeaders().set("Content-Type", StackServer.CONTENT_TYPE);
      StackServer.HEADERS.forEach(exchange.getResponseHeaders()::set);
      exchange.sendResponseHeaders(200, body.length == 0 ? -1 : body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }
}
