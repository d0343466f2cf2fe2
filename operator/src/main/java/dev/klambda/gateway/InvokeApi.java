package dev.klambda.gateway;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import dev.klambda.environments.InvocationRequest;
import dev.klambda.environments.InvocationResult;
import dev.klambda.function.FunctionConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * AWS Lambda's Invoke operation: {@code POST /2015-03-31/functions/{FunctionName}/invocations}
 * with its headers, status codes and error shapes, so the AWS SDKs and CLI work unchanged.
 */
final class InvokeApi {
  static final String PATH_PREFIX = "/2015-03-31/functions/";
  private static final String PATH_SUFFIX = "/invocations";
  static final int MAX_SYNC_PAYLOAD = 6 * 1024 * 1024;
  static final int MAX_ASYNC_PAYLOAD = 1024 * 1024;
  private static final int MAX_CLIENT_CONTEXT = 3583;
  private static final JsonFactory JSON = new JsonFactory();

  private final FunctionRegistry registry;
  private final AsyncInvoker async;
  private final Duration queueTimeout;

  InvokeApi(FunctionRegistry registry, AsyncInvoker async, Duration queueTimeout) {
    this.registry = registry;
    this.async = async;
    this.queueTimeout = queueTimeout;
  }

  void handle(HttpExchange exchange) throws IOException {
    String requestId = forwarded(exchange)
        ? exchange.getRequestHeaders().getFirst(RemoteInvoker.REQUEST_ID) : UUID.randomUUID().toString();
    exchange.getResponseHeaders().set("x-amzn-RequestId", requestId);
    try (exchange) {
      try {
        invoke(exchange, requestId);
      } catch (ServiceException e) {
        sendError(exchange, e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        sendError(exchange, ServiceException.service("interrupted"));
      }
    }
  }

  private void invoke(HttpExchange exchange, String requestId)
      throws ServiceException, IOException, InterruptedException {
    String rawPath = exchange.getRequestURI().getRawPath();
    if (!exchange.getRequestMethod().equals("POST") || !rawPath.startsWith(PATH_PREFIX)
        || !rawPath.endsWith(PATH_SUFFIX) || rawPath.length() <= PATH_PREFIX.length() + PATH_SUFFIX.length()) {
      throw ServiceException.unknownOperation(exchange.getRequestMethod(), rawPath);
    }
    String functionName = URLDecoder.decode(
        rawPath.substring(PATH_PREFIX.length(), rawPath.length() - PATH_SUFFIX.length()), StandardCharsets.UTF_8);
    String qualifier = queryParameter(exchange, "Qualifier");
    if (functionName.endsWith(":$LATEST")) {
      functionName = functionName.substring(0, functionName.length() - ":$LATEST".length());
    }
    FunctionConfig function = registry.find(functionName);
    if (qualifier != null && !qualifier.equals("$LATEST")) {
      throw ServiceException.functionNotFound(function.arn(registry.region()) + ":" + qualifier);
    }

    Headers headers = exchange.getRequestHeaders();
    String type = orDefault(headers.getFirst("X-Amz-Invocation-Type"), "RequestResponse");
    String logType = orDefault(headers.getFirst("X-Amz-Log-Type"), "None");
    if (!type.equals("RequestResponse") && !type.equals("Event") && !type.equals("DryRun")) {
      throw ServiceException.invalidParameter("X-Amz-Invocation-Type must be RequestResponse, Event "
          + "or DryRun (got '" + type + "')");
    }
    if (!logType.equals("None") && !logType.equals("Tail")) {
      throw ServiceException.invalidParameter("X-Amz-Log-Type must be None or Tail (got '" + logType + "')");
    }
    String clientContext = clientContext(headers.getFirst("X-Amz-Client-Context"));
    int limit = type.equals("Event") ? MAX_ASYNC_PAYLOAD : MAX_SYNC_PAYLOAD;
    byte[] payload = readPayload(exchange, limit);
    InvocationRequest request = new InvocationRequest(requestId, payload, clientContext,
        logType.equals("Tail") && type.equals("RequestResponse"));

    switch (type) {
      case "DryRun" -> send(exchange, 204, new byte[0]);
      case "Event" -> {
        async.submit(function.key(), request);
        send(exchange, 202, new byte[0]);
      }
      default -> {
        if (forwarded(exchange)) {
          long queueMillis = Long.parseLong(headers.getFirst(RemoteInvoker.QUEUE_MILLIS));
          respond(exchange, registry.invokeForwarded(function.key(), request,
              System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(queueMillis)), true);
        } else {
          respond(exchange, registry.invoke(function.key(), request, System.nanoTime() + queueTimeout.toNanos()),
              false);
        }
      }
    }
  }

  /** Sent by another gateway replica, to the one that routes the function. */
  private static boolean forwarded(HttpExchange exchange) {
    Headers headers = exchange.getRequestHeaders();
    return headers.containsKey(RemoteInvoker.FORWARDED) && headers.getFirst(RemoteInvoker.REQUEST_ID) != null
        && headers.getFirst(RemoteInvoker.QUEUE_MILLIS) != null;
  }

  private static void respond(HttpExchange exchange, InvocationResult result, boolean toReplica) throws IOException {
    Headers out = exchange.getResponseHeaders();
    if (toReplica) {
      out.set(RemoteInvoker.OUTCOME, result.outcome().name());
      if (result.errorType() != null) {
        out.set(RemoteInvoker.ERROR_TYPE, result.errorType());
      }
    }
    out.set("X-Amz-Executed-Version", "$LATEST");
    if (result.functionError()) {
      out.set("X-Amz-Function-Error", "Unhandled");
    }
    if (result.logResult() != null) {
      out.set("X-Amz-Log-Result", result.logResult());
    }
    send(exchange, 200, result.payload());
  }

  /** The base64 client context, decoded: it must be a JSON object of at most 3,583 bytes. */
  private static String clientContext(String base64) throws ServiceException {
    if (base64 == null || base64.isEmpty()) {
      return null;
    }
    String rule = "X-Amz-Client-Context must be base64 of a JSON object of at most " + MAX_CLIENT_CONTEXT + " bytes";
    if (base64.length() > 4 * ((MAX_CLIENT_CONTEXT + 2) / 3)) {
      throw ServiceException.invalidParameter(rule);
    }
    try {
      byte[] json = Base64.getDecoder().decode(base64);
      checkJson(json);
      return new String(json, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException | ServiceException e) {
      throw ServiceException.invalidParameter(rule);
    }
  }

  private static byte[] readPayload(HttpExchange exchange, int limit) throws IOException, ServiceException {
    byte[] payload;
    try (InputStream in = exchange.getRequestBody()) {
      payload = in.readNBytes(limit + 1);
      if (payload.length > limit) {
        in.transferTo(OutputStream.nullOutputStream());
        throw ServiceException.tooLarge(limit);
      }
    }
    if (payload.length == 0) {
      // Lambda hands an invocation without a payload an empty JSON object
      return "{}".getBytes(StandardCharsets.UTF_8);
    }
    checkJson(payload);
    return payload;
  }

  /** One JSON value and nothing after it; streamed, so a 6 MB payload builds no tree. */
  static void checkJson(byte[] payload) throws ServiceException {
    try (JsonParser parser = JSON.createParser(payload)) {
      if (parser.nextToken() == null) {
        throw ServiceException.invalidContent("empty");
      }
      parser.skipChildren();
      if (parser.nextToken() != null) {
        throw ServiceException.invalidContent("unexpected content after the JSON value");
      }
    } catch (JsonProcessingException e) {
      throw ServiceException.invalidContent(e.getOriginalMessage());
    } catch (IOException e) {
      throw ServiceException.invalidContent(e.getMessage());
    }
  }

  static void sendError(HttpExchange exchange, ServiceException e) throws IOException {
    exchange.getResponseHeaders().set("x-amzn-ErrorType", e.type());
    StringBuilder body = new StringBuilder("{\"Type\":\"").append(e.blame()).append("\",\"message\":")
        .append(quote(e.getMessage()));
    if (e.reason() != null) {
      body.append(",\"Reason\":").append(quote(e.reason()));
    }
    if (e.status() == 429) {
      exchange.getResponseHeaders().set("Retry-After", "1");
    }
    send(exchange, e.status(), body.append('}').toString().getBytes(StandardCharsets.UTF_8));
  }

  private static void send(HttpExchange exchange, int status, byte[] body) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  private static String quote(String text) {
    return "\"" + new String(JsonStringEncoder.getInstance().quoteAsString(text)) + "\"";
  }

  private static String queryParameter(HttpExchange exchange, String name) {
    String query = exchange.getRequestURI().getRawQuery();
    if (query == null) {
      return null;
    }
    for (String pair : query.split("&")) {
      int eq = pair.indexOf('=');
      if (eq > 0 && pair.substring(0, eq).equals(name)) {
        return URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      }
    }
    return null;
  }

  private static String orDefault(String value, String fallback) {
    return value == null || value.isBlank() ? fallback : value;
  }
}
