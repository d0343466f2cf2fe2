package dev.klambda.agent;

import static dev.klambda.agent.AgentProtocol.*;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.concurrent.CompletionException;

/**
 * The endpoint the gateway calls: readiness, invocations and a warm-pool member's claim (see {@link
 * AgentProtocol}).
 */
final class InvokeServer {
  /** The gateway's request ids: UUIDs. */
  private static final java.util.regex.Pattern REQUEST_ID_SHAPE =
      java.util.regex.Pattern.compile("[A-Za-z0-9-]{1,64}");

  private final EnvironmentSlot slot;
  private final byte[] token;
  private final HttpServer server;

  /**
   * @param token what invocations and claims must carry; null: anyone who reaches the port (tests)
   */
  InvokeServer(InetSocketAddress address, EnvironmentSlot slot, String token) throws IOException {
    this.slot = slot;
    this.token = token == null ? null : token.getBytes(StandardCharsets.US_ASCII);
    this.server = HttpServer.create(address, 64);
    // no executor: an invocation is taken on the dispatcher thread (see Exchanges)
    server.createContext(READY_PATH, Exchanges.onVirtualThread(this::ready));
    server.createContext(INVOKE_PATH, exchange -> Exchanges.readingBody(exchange, this::invoke));
    server.createContext(CLAIM_PATH, Exchanges.onVirtualThread(this::claim));
    server.createContext(SETTLED_PATH, Exchanges.onVirtualThread(this::settled));
  }

  void start() {
    server.start();
  }

  /** Gives an answer still being written (the invocation itself has ended) a moment to finish. */
  void stop() {
    server.stop(2);
  }

  private void ready(HttpExchange exchange) throws IOException {
    try (exchange) {
      ExecutionEnvironment environment = slot.environment();
      if (environment == null) {
        Exchanges.json(exchange, 503, "{\"state\":\"POOLED\"}");
        return;
      }
      ExecutionEnvironment.Readiness readiness = environment.readiness(waitMillis(exchange));
      switch (readiness) {
        case READY -> Exchanges.json(exchange, 200, "{\"state\":\"READY\"}");
        case FAILED ->
            Exchanges.json(
                exchange,
                500,
                "{\"state\":\"FAILED\",\"error\":" + environment.initErrorJson() + "}");
        default -> Exchanges.json(exchange, 503, "{\"state\":\"" + readiness + "\"}");
      }
    }
  }

  /** Takes the invocation and returns; the answer is written when the environment has one. */
  private void invoke(HttpExchange exchange) throws IOException {
    if (!fromTheGateway(exchange)) {
      return;
    }
    if (!exchange.getRequestMethod().equals("POST")) {
      Exchanges.json(exchange, 405, Json.error("MethodNotAllowed", "POST only"));
      return;
    }
    byte[] payload = Exchanges.body(exchange, ExecutionEnvironment.MAX_PAYLOAD_BYTES);
    if (payload == null) {
      Exchanges.json(
          exchange, 413, Json.error("RequestEntityTooLargeException", "Payload over 6 MB"));
      return;
    }
    // what only the gateway may send, checked as the gateway checks it: one JSON value, and an id
    // of the gateway's making
    String problem = JsonCheck.problem(payload);
    if (problem != null) {
      Exchanges.json(
          exchange,
          400,
          Json.error(
              "InvalidRequestContentException",
              "Could not parse request body into json: " + problem));
      return;
    }
    Headers in = exchange.getRequestHeaders();
    String requestId = in.getFirst(REQUEST_ID);
    if (requestId != null && !REQUEST_ID_SHAPE.matcher(requestId).matches()) {
      Exchanges.json(
          exchange,
          400,
          Json.error(
              "InvalidParameterValueException",
              REQUEST_ID + " must be 1-64 letters, digits and dashes"));
      return;
    }
    Invocation.Request request =
        new Invocation.Request(
            orElse(in.getFirst(REQUEST_ID), java.util.UUID.randomUUID().toString()), payload,
            orElse(in.getFirst(TRACE_ID), TraceId.newRoot()), in.getFirst(CLIENT_CONTEXT),
            in.getFirst(COGNITO_IDENTITY), "Tail".equals(in.getFirst(LOG_TYPE)));
    ExecutionEnvironment environment = slot.environment();
    if (environment == null) {
      unavailable(exchange, "a warm-pool environment serves no function before its claim");
      return;
    }
    environment
        .invoke(request)
        .whenComplete(
            (result, failure) ->
                Exchanges.guarded(
                    exchange, answered -> answer(answered, environment, result, failure)));
  }

  /** Settles the phases of invocations answered early (see {@link AgentProtocol#SETTLED_PATH}). */
  private void settled(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (!fromTheGateway(exchange)) {
        return;
      }
      ExecutionEnvironment environment = slot.environment();
      String settled = environment == null ? null : environment.takeSettled(waitMillis(exchange));
      if (settled != null) {
        exchange.getResponseHeaders().set(SETTLED, settled);
      }
      Exchanges.send(exchange, 204, new byte[0]);
    }
  }

  private static void answer(
      HttpExchange exchange,
      ExecutionEnvironment environment,
      InvokeResult result,
      Throwable failure)
      throws IOException {
    if (failure != null) {
      Throwable cause = failure instanceof CompletionException ? failure.getCause() : failure;
      if (cause instanceof ExecutionEnvironment.Unavailable) {
        unavailable(exchange, cause.getMessage());
        return;
      }
      throw new IOException("invocation failed", cause);
    }
    Headers out = exchange.getResponseHeaders();
    out.set(OUTCOME, result.outcome().headerValue());
    if (result.errorType() != null) {
      out.set(ERROR_TYPE, result.errorType());
    }
    out.set(DURATION_MICROS, Long.toString(result.durationMicros()));
    out.set(INIT_DURATION_MICROS, Long.toString(result.initDurationMicros()));
    if (result.logTail() != null) {
      out.set(LOG_RESULT, result.logTail());
    }
    if (result.phaseOpen()) {
      out.set(PHASE, PHASE_OPEN_VALUE);
    }
    String settled = environment.takeSettled(0);
    if (settled != null) {
      out.set(SETTLED, settled);
    }
    Exchanges.send(exchange, 200, result.payload());
  }

  /** The gateway may retry elsewhere: this environment takes no (more) work. */
  private static void unavailable(HttpExchange exchange, String why) throws IOException {
    exchange.getResponseHeaders().set(OUTCOME, OUTCOME_UNAVAILABLE);
    Exchanges.json(exchange, 503, Json.error("EnvironmentUnavailable", why));
  }

  private void claim(HttpExchange exchange) throws IOException {
    // whether it can be claimed is no secret; the claim itself hands over code and variables
    if (exchange.getRequestMethod().equals("POST") && !fromTheGateway(exchange)) {
      return;
    }
    try (exchange) {
      try {
        switch (exchange.getRequestMethod()) {
          case "GET" -> {
            slot.awaitClaimable(java.time.Duration.ofMillis(waitMillis(exchange)));
            Exchanges.send(exchange, 204, new byte[0]);
          }
          case "POST" -> {
            PoolClaim claim;
            try (var body = exchange.getRequestBody()) {
              claim = PoolClaim.decode(body);
            } catch (IOException e) {
              throw new EnvironmentSlot.Refused(400, "claim: " + e.getMessage());
            }
            slot.claim(claim);
            Exchanges.json(exchange, 202, "{\"state\":\"STARTING\"}");
          }
          default ->
              Exchanges.json(exchange, 405, Json.error("MethodNotAllowed", "GET or POST only"));
        }
      } catch (EnvironmentSlot.Refused e) {
        Exchanges.json(exchange, e.status, Json.error("ClaimRefused", e.getMessage()));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Whether the request carries the environment's invoke token; answered 403 when not. */
  private boolean fromTheGateway(HttpExchange exchange) throws IOException {
    String given = exchange.getRequestHeaders().getFirst(INVOKE_TOKEN);
    if (token == null
        || given != null
            && MessageDigest.isEqual(token, given.getBytes(StandardCharsets.US_ASCII))) {
      return true;
    }
    Exchanges.json(
        exchange,
        403,
        Json.error(
            "Forbidden",
            "Only the gateway gives this environment work: "
                + INVOKE_TOKEN
                + " is missing or wrong"));
    return false;
  }

  private static String orElse(String value, String fallback) {
    return value == null || value.isBlank() ? fallback : value;
  }

  private static long waitMillis(HttpExchange exchange) {
    String query = exchange.getRequestURI().getRawQuery();
    if (query != null) {
      for (String pair : query.split("&")) {
        if (pair.startsWith(READY_WAIT_PARAMETER + "=")) {
          try {
            return Math.min(
                60_000, Long.parseLong(pair.substring(READY_WAIT_PARAMETER.length() + 1)));
          } catch (NumberFormatException ignored) {
            return 0;
          }
        }
      }
    }
    return 0;
  }
}
