package dev.klambda.gateway;

import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP front door: the Lambda Invoke API and function URLs on one port. Every exchange runs on its own virtual
 * thread, so thousands of queued and in-flight invocations cost memory, not platform threads.
 */
public final class Gateway implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);
  private final HttpServer server;
  private final AsyncInvoker async;

  public Gateway(InetSocketAddress address, FunctionRegistry registry, AsyncInvoker async,
      Duration queueTimeout) throws IOException {
    // Without this the JDK's server delays small responses (Nagle), costing ~40 ms per round trip.
    System.setProperty("sun.net.httpserver.nodelay", "true");
    this.async = async;
    this.server = HttpServer.create(address, 4096);
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    InvokeApi invokeApi = new InvokeApi(registry, async, queueTimeout);
    FunctionUrlApi urls = new FunctionUrlApi(registry, queueTimeout);
    // a function URL host serves that function's URL only, whatever the path: never the Invoke API
    server.createContext(InvokeApi.PATH_PREFIX, exchange -> {
      if (FunctionUrlApi.byHost(exchange)) {
        urls.handle(exchange);
      } else {
        invokeApi.handle(exchange);
      }
    });
    server.createContext(FunctionUrlApi.PATH_PREFIX, urls::handle);
    server.createContext("/", exchange -> {
      if (FunctionUrlApi.byHost(exchange)) {
        urls.handle(exchange);
        return;
      }
      try (exchange) {
        InvokeApi.sendError(exchange, ServiceException.unknownOperation(
            exchange.getRequestMethod(), exchange.getRequestURI().getRawPath()));
      }
    });
  }

  /** Serves {@code handler} under {@code pathPrefix} too (before {@link #start()}). */
  public void serve(String pathPrefix, HttpHandler handler) {
    server.createContext(pathPrefix, handler);
  }

  public void start() {
    server.start();
  }

  /** The bound address (the port is the real one when 0 was asked for). */
  public InetSocketAddress address() {
    return server.getAddress();
  }

  public String baseUrl() {
    return "http://" + address().getHostString() + ":" + address().getPort();
  }

  /**
   * Stops taking requests and lets in-flight ones (and accepted events) finish within
   * {@code grace}. The environments are the caller's to stop (or keep, for adoption).
   */
  public void stop(Duration grace) {
    long deadline = System.nanoTime() + grace.toNanos();
    server.stop((int) Math.max(1, grace.toSeconds()));
    if (!async.awaitQuiet(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())))) {
      LOG.warn("{} accepted events did not complete before shutdown", async.inProgress());
    }
  }

  @Override
  public void close() {
    stop(Duration.ofSeconds(1));
  }
}
