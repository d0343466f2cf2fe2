package dev.klambda.agent;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The Lambda Runtime API ({@code /2018-06-01/runtime/...}) and Extensions API ({@code
 * /2020-01-01/extension/...}) on the address in {@code AWS_LAMBDA_RUNTIME_API}, with AWS's paths,
 * headers and status codes, so existing runtime interface clients work unchanged.
 */
final class RuntimeApiServer {
  private static final String RUNTIME = "/2018-06-01/runtime/";
  private static final String EXTENSION = "/2020-01-01/extension/";
  private static final String INVOCATION = RUNTIME + "invocation/";

  private final AgentConfig config;
  private final ExecutionEnvironment environment;
  private final HttpServer server;

  RuntimeApiServer(AgentConfig config, ExecutionEnvironment environment) throws IOException {
    this.config = config;
    this.environment = environment;
    this.server = HttpServer.create(config.runtimeApiAddress(), 64);
    // no executor: /next and /response are taken on the dispatcher thread, the rest (Init's and
    // the extensions' calls, which may wait) on virtual threads (see Exchanges)
    server.createContext("/", exchange -> Exchanges.guarded(exchange, this::handle));
  }

  void start() {
    server.start();
  }

  void stop() {
    server.stop(0);
  }

  private void handle(HttpExchange exchange) throws IOException {
    String path = exchange.getRequestURI().getPath();
    String method = exchange.getRequestMethod();
    if (path.equals(INVOCATION + "next") && method.equals("GET")) {
      next(exchange);
    } else if (path.startsWith(INVOCATION) && path.endsWith("/response") && method.equals("POST")) {
      Exchanges.readingBody(exchange, e -> respond(e, requestId(path, "/response"), false));
    } else if (path.startsWith(INVOCATION) && path.endsWith("/error") && method.equals("POST")) {
      Exchanges.readingBody(exchange, e -> respond(e, requestId(path, "/error"), true));
    } else {
      Exchanges.onVirtualThread(e -> other(e, path, method)).handle(exchange);
    }
  }

  private void other(HttpExchange exchange, String path, String method) throws IOException {
    try (exchange) {
      if (path.equals(RUNTIME + "init/error") && method.equals("POST")) {
        initError(exchange);
      } else if (path.equals(EXTENSION + "register") && method.equals("POST")) {
        register(exchange);
      } else if (path.equals(EXTENSION + "event/next") && method.equals("GET")) {
        extensionNext(exchange);
      } else if ((path.equals(EXTENSION + "init/error") || path.equals(EXTENSION + "exit/error"))
          && method.equals("POST")) {
        extensionError(exchange, path.endsWith("init/error"));
      } else {
        Exchanges.json(
            exchange,
            404,
            Json.error("NotFound", "No such Runtime API path: " + method + " " + path));
      }
    }
  }

  /** Holds the runtime's request until there is an event for it; returns at once. */
  private void next(HttpExchange exchange) {
    environment
        .next()
        .whenComplete(
            (invocation, failure) -> {
              if (failure != null) {
                // the runtime that asked was reset (cancelled under the environment's lock, hence
                // not
                // answered on this thread) or asked again; it is gone or going, so a failed answer
                // is no news
                Thread.ofVirtual()
                    .start(
                        () -> {
                          try {
                            Exchanges.json(
                                exchange,
                                500,
                                Json.error("Runtime.Reset", "The environment was reset"));
                          } catch (IOException gone) {
                            exchange.close();
                          }
                        });
              } else {
                Exchanges.guarded(exchange, delivered -> deliver(delivered, invocation));
              }
            });
  }

  private void deliver(HttpExchange exchange, Invocation invocation) throws IOException {
    Invocation.Request request = invocation.request;
    Headers headers = exchange.getResponseHeaders();
    headers.set("Lambda-Runtime-Aws-Request-Id", request.requestId());
    headers.set("Lambda-Runtime-Deadline-Ms", Long.toString(invocation.deadlineMs));
    headers.set("Lambda-Runtime-Invoked-Function-Arn", config.functionArn());
    headers.set("Lambda-Runtime-Trace-Id", request.traceId());
    if (request.clientContext() != null) {
      headers.set("Lambda-Runtime-Client-Context", request.clientContext());
    }
    if (request.cognitoIdentity() != null) {
      headers.set("Lambda-Runtime-Cognito-Identity", request.cognitoIdentity());
    }
    Exchanges.send(exchange, 200, request.payload());
  }

  private void respond(HttpExchange exchange, String requestId, boolean error) throws IOException {
    byte[] body = Exchanges.body(exchange, ExecutionEnvironment.MAX_PAYLOAD_BYTES);
    try {
      if (body == null) {
        environment.answer(
            requestId,
            new Invocation.Error(
                "Function.ResponseSizeTooLarge",
                Json.error(
                        "Function.ResponseSizeTooLarge",
                        "Response payload size exceeded maximum allowed payload size ("
                            + ExecutionEnvironment.MAX_PAYLOAD_BYTES
                            + " bytes).")
                    .getBytes(StandardCharsets.UTF_8)));
        Exchanges.json(
            exchange,
            413,
            Json.error(
                "RequestEntityTooLarge",
                "Payload exceeds " + ExecutionEnvironment.MAX_PAYLOAD_BYTES + " bytes"));
        return;
      }
      environment.answer(
          requestId, error ? runtimeError(exchange, body) : new Invocation.Response(body));
      Exchanges.json(exchange, 202, "{\"status\":\"OK\"}");
    } catch (ExecutionEnvironment.InvalidRequestId e) {
      Exchanges.json(exchange, 400, Json.error("InvalidRequestID", e.getMessage()));
    }
  }

  /** The runtime's error: its type from the header (or the body), its body passed on as is. */
  private static Invocation.Error runtimeError(HttpExchange exchange, byte[] body) {
    String text = new String(body, StandardCharsets.UTF_8);
    String type = exchange.getRequestHeaders().getFirst("Lambda-Runtime-Function-Error-Type");
    if (type == null || type.isBlank()) {
      String fromBody = Json.stringField(text, "errorType");
      type = fromBody != null ? fromBody : "Unhandled";
    }
    if (text.isBlank()) {
      return new Invocation.Error(type, Json.error(type, "").getBytes(StandardCharsets.UTF_8));
    }
    return new Invocation.Error(type, body);
  }

  private void initError(HttpExchange exchange) throws IOException {
    byte[] body = Exchanges.body(exchange, ExecutionEnvironment.MAX_PAYLOAD_BYTES);
    Invocation.Error error = runtimeError(exchange, body == null ? new byte[0] : body);
    try {
      environment.initError(error.errorType(), new String(error.body(), StandardCharsets.UTF_8));
      Exchanges.json(exchange, 202, "{\"status\":\"OK\"}");
    } catch (IllegalStateException e) {
      Exchanges.json(
          exchange, 403, Json.error("InvalidStateTransition", "Init is over: " + e.getMessage()));
    }
  }

  private void register(HttpExchange exchange) throws IOException {
    String name = exchange.getRequestHeaders().getFirst("Lambda-Extension-Name");
    byte[] body = Exchanges.body(exchange, 64 * 1024);
    if (name == null || name.isBlank() || body == null) {
      Exchanges.json(
          exchange,
          400,
          Json.error(
              "InvalidRequest",
              "Lambda-Extension-Name header and a body of at most 64 KB are required"));
      return;
    }
    try {
      String id = environment.extensions().register(name, new String(body, StandardCharsets.UTF_8));
      exchange.getResponseHeaders().set("Lambda-Extension-Identifier", id);
      Exchanges.json(
          exchange,
          200,
          "{\"functionName\":"
              + Json.quote(config.functionName())
              + ",\"functionVersion\":"
              + Json.quote(config.functionVersion())
              + ",\"handler\":"
              + Json.quote(config.handler())
              + "}");
    } catch (IllegalStateException e) {
      Exchanges.json(exchange, 403, Json.error("InvalidStateTransition", e.getMessage()));
    }
  }

  private void extensionNext(HttpExchange exchange) throws IOException {
    String id = extensionId(exchange);
    if (id == null) {
      return;
    }
    try {
      exchange
          .getResponseHeaders()
          .set("Lambda-Extension-Event-Identifier", java.util.UUID.randomUUID().toString());
      Exchanges.json(exchange, 200, environment.extensions().nextEvent(id));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void extensionError(HttpExchange exchange, boolean init) throws IOException {
    String id = extensionId(exchange);
    if (id == null) {
      return;
    }
    String type = exchange.getRequestHeaders().getFirst("Lambda-Extension-Function-Error-Type");
    byte[] body = Exchanges.body(exchange, 64 * 1024);
    environment
        .extensions()
        .reportError(
            id,
            type == null ? "Extension.Unknown" : type,
            body == null ? "" : new String(body, StandardCharsets.UTF_8),
            init);
    Exchanges.json(exchange, 202, "{\"status\":\"OK\"}");
  }

  private String extensionId(HttpExchange exchange) throws IOException {
    String id = exchange.getRequestHeaders().getFirst("Lambda-Extension-Identifier");
    if (!environment.extensions().isRegistered(id)) {
      Exchanges.json(
          exchange,
          403,
          Json.error(
              "Extension.UnknownExtensionIdentifier",
              "Missing or unknown Lambda-Extension-Identifier"));
      return null;
    }
    return id;
  }

  private static String requestId(String path, String suffix) {
    return path.substring(INVOCATION.length(), path.length() - suffix.length());
  }
}
