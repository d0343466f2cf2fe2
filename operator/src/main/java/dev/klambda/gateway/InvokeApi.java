package dev.klambda.gateway;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import dev.klambda.auth.Action;
import dev.klambda.auth.Identity;
import dev.klambda.auth.InvokeGuard;
import dev.klambda.auth.PeerKey;
import dev.klambda.auth.Refusal;
import dev.klambda.environments.EnvironmentUnavailableException;
import dev.klambda.environments.InvocationRequest;
import dev.klambda.environments.InvocationResult;
import dev.klambda.function.FunctionConfig;
import dev.klambda.function.InvokePath;
import dev.klambda.routing.AsyncInvoker;
import dev.klambda.routing.ForwardingProtocol;
import dev.klambda.routing.FunctionRegistry;
import dev.klambda.routing.FunctionRouter;
import dev.klambda.routing.ServiceException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpHeaders;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * AWS Lambda's Invoke operation: {@code POST /2015-03-31/functions/{FunctionName}/invocations} with
 * its headers, status codes and error shapes, so the AWS SDKs and CLI work unchanged.
 */
final class InvokeApi {
  private static final Logger LOG = LoggerFactory.getLogger(InvokeApi.class);

  /**
   * One line per invocation with {@code --audit-log}: who invoked which function, and the status.
   */
  private static final Logger AUDIT = LoggerFactory.getLogger("klambda.audit");

  static final int MAX_SYNC_PAYLOAD = 6 * 1024 * 1024;
  static final int MAX_ASYNC_PAYLOAD = 1024 * 1024;
  private static final int MAX_CLIENT_CONTEXT = 3583;

  /**
   * Payloads up to this are read and checked on the event loop; larger ones on a virtual thread.
   */
  private static final int READ_ON_EVENT_LOOP = 64 * 1024;

  private static final JsonFactory JSON = new JsonFactory();

  /** Never written to: each use wraps it afresh. */
  private static final byte[] EMPTY_OBJECT = "{}".getBytes(StandardCharsets.UTF_8);

  private final FunctionRegistry registry;
  private final AsyncInvoker async;
  private final Duration queueTimeout;
  private final InvokeGuard guard;
  private final PeerKey peers;

  InvokeApi(
      FunctionRegistry registry,
      AsyncInvoker async,
      Duration queueTimeout,
      InvokeGuard guard,
      PeerKey peers) {
    this.registry = registry;
    this.async = async;
    this.queueTimeout = queueTimeout;
    this.guard = guard;
    this.peers = peers;
  }

  /** A request checked and read: what remains is to run it. */
  private record Prepared(
      FunctionConfig function,
      String type,
      InvocationRequest request,
      boolean forwarded,
      long queueDeadlineNanos) {}

  /** Serves the request, waiting as long as it takes (on a virtual thread). */
  void handle(GatewayExchange exchange) {
    try {
      run(exchange, prepare(exchange, requestId(exchange), true));
    } catch (ServiceException e) {
      sendError(exchange, e);
    }
  }

  /**
   * On the event loop: answers what needs no waiting (a refused request, DryRun, and a synchronous
   * invocation that finds an idle environment of a function this replica routes, answered when the
   * agent answers) and hands the rest, read and checked, to {@code blocking}. False, untouched,
   * when the request is better read and checked there (a large payload, an Event, which keeps a
   * copy at another replica first).
   */
  boolean tryAnswerNow(GatewayExchange exchange, Executor blocking) {
    if (exchange.bodyLength() > READ_ON_EVENT_LOOP
        || "Event".equals(exchange.header("X-Amz-Invocation-Type"))) {
      return false;
    }
    Prepared prepared;
    try {
      prepared = prepare(exchange, requestId(exchange), false);
    } catch (ServiceException e) {
      sendError(exchange, e);
      return true;
    }
    if (prepared == null) {
      return false; // the caller's authorization needs the API server
    }
    if (prepared.type().equals("DryRun")) {
      send(exchange, 204, new byte[0]);
      return true;
    }
    CompletableFuture<InvocationResult> now =
        prepared.type().equals("RequestResponse") ? tryInvokeNow(prepared) : null;
    if (now == null) {
      blocking.execute(() -> runQuietly(exchange, prepared));
      return true;
    }
    now.whenComplete(
        (result, failed) -> {
          if (result != null) {
            respond(exchange, result, prepared.forwarded());
            return;
          }
          Throwable cause =
              failed instanceof CompletionException wrapped && wrapped.getCause() != null
                  ? wrapped.getCause()
                  : failed;
          if (cause instanceof EnvironmentUnavailableException) {
            try {
              blocking.execute(
                  () -> runQuietly(exchange, prepared)); // another environment, or a new one
            } catch (RejectedExecutionException stopping) {
              // the gateway stops: nothing takes the retry, and the caller must not wait for it
              sendError(exchange, ServiceException.service("the gateway is stopping"));
            }
          } else {
            sendError(exchange, ServiceException.environmentLost(cause));
          }
        });
    return true;
  }

  /**
   * On an idle environment of a function this replica routes, or one its owner lent this replica (a
   * forwarded request never runs on a loan: its sender had none idle); null when none is idle.
   */
  private CompletableFuture<InvocationResult> tryInvokeNow(Prepared prepared) {
    String key = prepared.function().key();
    FunctionRouter router = registry.router(key);
    if (router != null) {
      return router.tryInvokeNow(prepared.request());
    }
    return prepared.forwarded() ? null : registry.tryInvokeBorrowed(key, prepared.request());
  }

  private String requestId(GatewayExchange exchange) {
    String requestId =
        forwarded(exchange)
            ? exchange.header(ForwardingProtocol.REQUEST_ID)
            : UUID.randomUUID().toString();
    exchange.responseHeaders().set("x-amzn-RequestId", requestId);
    return requestId;
  }

  /**
   * Null when the caller's authorization cannot be decided without waiting and {@code mayWait} is
   * false.
   */
  private Prepared prepare(GatewayExchange exchange, String requestId, boolean mayWait)
      throws ServiceException {
    String rawPath = exchange.rawPath();
    if (!exchange.method().equals("POST")
        || !rawPath.startsWith(InvokePath.PREFIX)
        || !rawPath.endsWith(InvokePath.SUFFIX)
        || rawPath.length() <= InvokePath.PREFIX.length() + InvokePath.SUFFIX.length()) {
      throw ServiceException.unknownOperation(exchange.method(), rawPath);
    }
    String functionName;
    String qualifier;
    try {
      functionName =
          URLDecoder.decode(
              rawPath.substring(
                  InvokePath.PREFIX.length(), rawPath.length() - InvokePath.SUFFIX.length()),
              StandardCharsets.UTF_8);
      qualifier = queryParameter(exchange, "Qualifier");
    } catch (IllegalArgumentException e) {
      throw ServiceException.invalidParameter(
          "FunctionName and Qualifier must be URL-encoded: " + e.getMessage());
    }
    if (functionName.endsWith(":$LATEST")) {
      functionName = functionName.substring(0, functionName.length() - ":$LATEST".length());
    }
    boolean forwarded = forwarded(exchange);
    if (!forwarded) {
      Identity caller = authorize(registry, guard, exchange, Action.INVOKE, functionName, mayWait);
      if (caller == null) {
        return null;
      }
      if (guard.audits()) {
        String key = registry.keyOf(functionName);
        String type = orDefault(exchange.header("X-Amz-Invocation-Type"), "RequestResponse");
        exchange.onAnswer(
            status ->
                AUDIT.info(
                    "function {}: {} invocation by {}: {}", key, type, caller.display(), status));
      }
    }
    FunctionConfig function = registry.find(functionName);
    if (qualifier != null && !qualifier.equals("$LATEST")) {
      throw ServiceException.functionNotFound(function.arn(registry.region()) + ":" + qualifier);
    }

    String type = orDefault(exchange.header("X-Amz-Invocation-Type"), "RequestResponse");
    String logType = orDefault(exchange.header("X-Amz-Log-Type"), "None");
    if (!type.equals("RequestResponse") && !type.equals("Event") && !type.equals("DryRun")) {
      throw ServiceException.invalidParameter(
          "X-Amz-Invocation-Type must be RequestResponse, Event "
              + "or DryRun (got '"
              + type
              + "')");
    }
    if (!logType.equals("None") && !logType.equals("Tail")) {
      throw ServiceException.invalidParameter(
          "X-Amz-Log-Type must be None or Tail (got '" + logType + "')");
    }
    String clientContext = clientContext(exchange.header("X-Amz-Client-Context"));
    int limit = type.equals("Event") ? MAX_ASYNC_PAYLOAD : MAX_SYNC_PAYLOAD;
    ByteBuf payload = readPayload(exchange, limit);
    InvocationRequest request =
        new InvocationRequest(
            requestId,
            payload,
            clientContext,
            logType.equals("Tail") && type.equals("RequestResponse"));
    long queueNanos =
        forwarded ? TimeUnit.MILLISECONDS.toNanos(queueMillis(exchange)) : queueTimeout.toNanos();
    return new Prepared(function, type, request, forwarded, System.nanoTime() + queueNanos);
  }

  /**
   * The caller, if it may do {@code action} with the function; decided before looking the function
   * up, so that a function the caller may not see cannot be told from one that does not exist. Null
   * when the decision needs the API server and {@code mayWait} is false.
   */
  static Identity authorize(
      FunctionRegistry registry,
      InvokeGuard guard,
      GatewayExchange exchange,
      Action action,
      String functionName,
      boolean mayWait)
      throws ServiceException {
    String key = registry.keyOf(functionName);
    int slash = key.indexOf('/');
    try {
      return guard.check(
          exchange,
          action,
          key.substring(0, slash),
          key.substring(slash + 1),
          registry.arnOf(functionName),
          mayWait);
    } catch (Refusal refusal) {
      if (guard.audits()) {
        AUDIT.info(
            "function {}: refused ({}): {}", key, refusal.reason().label(), refusal.getMessage());
      }
      throw ServiceException.refused(refusal);
    }
  }

  /** The time a forwarding replica leaves for the queue. */
  private static long queueMillis(GatewayExchange exchange) throws ServiceException {
    try {
      return Long.parseLong(exchange.header(ForwardingProtocol.QUEUE_MILLIS));
    } catch (NumberFormatException e) {
      throw ServiceException.invalidParameter(
          ForwardingProtocol.QUEUE_MILLIS + " must be a number of milliseconds");
    }
  }

  /** Runs the request off the event loop; whatever happens, it is answered. */
  private void runQuietly(GatewayExchange exchange, Prepared prepared) {
    try {
      run(exchange, prepared);
    } catch (ServiceException e) {
      sendError(exchange, e);
    } catch (RuntimeException e) {
      LOG.warn(
          "function {}: request {} failed: {}",
          prepared.function().key(),
          prepared.request().requestId(),
          e.toString());
      if (!exchange.answered()) {
        sendError(exchange, ServiceException.service("the gateway failed to answer"));
      }
    }
  }

  private void run(GatewayExchange exchange, Prepared prepared) throws ServiceException {
    String key = prepared.function().key();
    try {
      switch (prepared.type()) {
        case "DryRun" -> send(exchange, 204, new byte[0]);
        case "Event" -> {
          async.submit(key, prepared.request().copiedToHeap());
          send(exchange, 202, new byte[0]);
        }
        default ->
            respond(
                exchange,
                prepared.forwarded()
                    ? registry.invokeForwarded(
                        key, prepared.request(), prepared.queueDeadlineNanos())
                    : registry.invoke(key, prepared.request(), prepared.queueDeadlineNanos()),
                prepared.forwarded());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw ServiceException.service("interrupted");
    }
  }

  /**
   * Sent by another gateway replica (which authorized the caller), to the one that routes the
   * function: it proves so with the replicas' shared key.
   */
  private boolean forwarded(GatewayExchange exchange) {
    return peers.isPeerToken(exchange.header(ForwardingProtocol.FORWARDED))
        && exchange.header(ForwardingProtocol.REQUEST_ID) != null
        && exchange.header(ForwardingProtocol.QUEUE_MILLIS) != null;
  }

  /** Answers with the function's payload as the agent's answer brought it; closes the result. */
  private static void respond(
      GatewayExchange exchange, InvocationResult result, boolean toReplica) {
    try (result) {
      HttpHeaders out = exchange.responseHeaders();
      if (toReplica) {
        out.set(ForwardingProtocol.OUTCOME, result.outcome().name());
        if (result.errorType() != null) {
          out.set(ForwardingProtocol.ERROR_TYPE, result.errorType());
        }
      }
      out.set("X-Amz-Executed-Version", "$LATEST");
      if (result.functionError()) {
        out.set("X-Amz-Function-Error", "Unhandled");
      }
      if (result.logResult() != null) {
        out.set("X-Amz-Log-Result", result.logResult());
      }
      send(exchange, 200, result.payload().retainedDuplicate());
    }
  }

  /** The base64 client context, decoded: it must be a JSON object of at most 3,583 bytes. */
  private static String clientContext(String base64) throws ServiceException {
    if (base64 == null || base64.isEmpty()) {
      return null;
    }
    String rule =
        "X-Amz-Client-Context must be base64 of a JSON object of at most "
            + MAX_CLIENT_CONTEXT
            + " bytes";
    if (base64.length() > 4 * ((MAX_CLIENT_CONTEXT + 2) / 3)) {
      throw ServiceException.invalidParameter(rule);
    }
    try {
      byte[] json = Base64.getDecoder().decode(base64);
      checkJson(Unpooled.wrappedBuffer(json));
      return new String(json, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException | ServiceException e) {
      throw ServiceException.invalidParameter(rule);
    }
  }

  /**
   * The payload, checked: the request's own buffer (the exchange's, not copied), or an empty JSON
   * object for none.
   */
  private static ByteBuf readPayload(GatewayExchange exchange, int limit) throws ServiceException {
    if (exchange.bodyLength() > limit) {
      throw ServiceException.tooLarge(limit);
    }
    ByteBuf payload = exchange.body();
    if (!payload.isReadable()) {
      // Lambda hands an invocation without a payload an empty JSON object
      return Unpooled.wrappedBuffer(EMPTY_OBJECT);
    }
    checkJson(payload);
    return payload;
  }

  /**
   * One JSON value and nothing after it; streamed where the bytes are (an array in place, Netty's
   * buffers through a stream), so a 6 MB payload is neither copied nor built into a tree.
   */
  static void checkJson(ByteBuf payload) throws ServiceException {
    try (JsonParser parser =
        payload.hasArray()
            ? JSON.createParser(
                payload.array(),
                payload.arrayOffset() + payload.readerIndex(),
                payload.readableBytes())
            : JSON.createParser((InputStream) new ByteBufInputStream(payload.duplicate()))) {
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

  static void sendError(GatewayExchange exchange, ServiceException e) {
    exchange.responseHeaders().set("x-amzn-ErrorType", e.type());
    if (e.status() == 429) {
      exchange.responseHeaders().set("Retry-After", "1");
    }
    send(exchange, e.status(), errorBody(e));
  }

  /** Lambda's error body: {@code {"Type":"User","message":"...","Reason":"..."}}. */
  static byte[] errorBody(ServiceException e) {
    StringBuilder body =
        new StringBuilder("{\"Type\":\"")
            .append(e.blame())
            .append("\",\"message\":")
            .append(quote(e.getMessage()));
    if (e.reason() != null) {
      body.append(",\"Reason\":").append(quote(e.reason()));
    }
    return body.append('}').toString().getBytes(StandardCharsets.UTF_8);
  }

  private static void send(GatewayExchange exchange, int status, byte[] body) {
    send(exchange, status, Unpooled.wrappedBuffer(body));
  }

  /** Answers with {@code body}, whose reference the answer takes. */
  private static void send(GatewayExchange exchange, int status, ByteBuf body) {
    exchange.responseHeaders().set("Content-Type", "application/json");
    exchange.respond(status, body);
  }

  private static String quote(String text) {
    return "\"" + new String(JsonStringEncoder.getInstance().quoteAsString(text)) + "\"";
  }

  /** A query parameter of the request, decoded; null when absent. */
  static String queryParameter(GatewayExchange exchange, String name) {
    String query = exchange.rawQuery();
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
