package dev.klambda.gateway;

import dev.klambda.auth.InvokeGuard;
import dev.klambda.auth.Refusal;
import dev.klambda.environments.InvocationRequest;
import dev.klambda.environments.InvocationResult;
import dev.klambda.function.FunctionConfig;
import dev.klambda.function.FunctionUrl;
import dev.klambda.routing.FunctionRegistry;
import dev.klambda.routing.ServiceException;
import io.netty.handler.codec.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lambda function URLs on the gateway: any method on {@code /url/<namespace>/<name>/<path>}, or any
 * path on a host {@code <name>.<namespace>.lambda-url.<domain>} (a wildcard DNS name and Ingress,
 * like Knative's), invokes a function that has {@code spec.url}. CORS preflights are answered here
 * without an invocation, as Lambda does.
 */
final class FunctionUrlApi {
  private static final Logger LOG = LoggerFactory.getLogger(FunctionUrlApi.class);
  static final String PATH_PREFIX = "/url/";
  private static final Pattern HOST =
      Pattern.compile("^([a-z0-9-]+)\\.([a-z0-9-]+)\\.lambda-url\\.", Pattern.CASE_INSENSITIVE);
  private static final Pattern PATH = Pattern.compile("^/url/([a-z0-9-]+)/([a-z0-9-]+)(/.*)?$");

  /** How the body is framed is the server's business, not the function's. */
  private static final java.util.Set<String> FRAMING_HEADERS =
      java.util.Set.of("content-length", "transfer-encoding", "connection");

  private final FunctionRegistry registry;
  private final Duration queueTimeout;
  private final InvokeGuard guard;

  FunctionUrlApi(FunctionRegistry registry, Duration queueTimeout, InvokeGuard guard) {
    this.registry = registry;
    this.queueTimeout = queueTimeout;
    this.guard = guard;
  }

  /** Whether the request is for a function URL by its host name. */
  static boolean byHost(GatewayExchange exchange) {
    String host = exchange.header("Host");
    return host != null && HOST.matcher(host).find();
  }

  void handle(GatewayExchange exchange) {
    String requestId = UUID.randomUUID().toString();
    exchange.responseHeaders().set("x-amzn-RequestId", requestId);
    try {
      serve(exchange, requestId);
    } catch (ServiceException e) {
      message(
          exchange,
          switch (e.status()) {
            case 404 -> 404;
            case 413 -> 413;
            case 429 -> 429;
            default -> 502;
          },
          switch (e.status()) {
            case 404 -> "Not Found";
            case 413 -> "Request Too Long";
            case 429 -> "Rate Exceeded.";
            default -> "Internal Server Error";
          });
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      message(exchange, 502, "Internal Server Error");
    }
  }

  private void serve(GatewayExchange exchange, String requestId)
      throws ServiceException, InterruptedException {
    String rawPath = exchange.rawPath();
    String key;
    String path;
    Matcher host = HOST.matcher(String.valueOf(exchange.header("Host")));
    Matcher byPath = PATH.matcher(rawPath);
    if (host.find()) {
      key = host.group(2) + "/" + host.group(1);
      path = rawPath;
    } else if (byPath.matches()) {
      key = byPath.group(1) + "/" + byPath.group(2);
      path = byPath.group(3) == null ? "/" : byPath.group(3);
    } else {
      throw ServiceException.functionNotFound(rawPath);
    }
    FunctionConfig function = registry.find(key);
    FunctionUrl url = function.url();
    if (url == null) {
      throw ServiceException.functionNotFound(key + " has no function URL");
    }
    String origin = exchange.header("Origin");
    if (exchange.method().equals("OPTIONS")
        && origin != null
        && exchange.header("Access-Control-Request-Method") != null
        && !url.allowOrigins().isEmpty()) {
      preflight(exchange, url, origin);
      return;
    }
    if (url.iamAuth() && !authorized(exchange, function)) {
      corsHeaders(exchange, url, origin);
      message(exchange, 403, "Forbidden");
      return;
    }
    byte[] body = readBody(exchange);
    byte[] event =
        FunctionUrlEvents.event(
            new FunctionUrlEvents.HttpRequest(
                exchange.method(),
                path,
                exchange.rawQuery(),
                exchange.headers(),
                exchange.remoteAddress(),
                body,
                requestId,
                function.name(),
                Instant.now()));
    FunctionUrlEvents.HttpResponse response;
    try (InvocationResult result =
        registry.invoke(
            function.key(),
            new InvocationRequest(requestId, event, null, false),
            System.nanoTime() + queueTimeout.toNanos())) {
      if (result.functionError()) {
        corsHeaders(exchange, url, origin);
        message(exchange, 502, "Internal Server Error");
        return;
      }
      // the function's answer is JSON that says what to answer: read, so copied
      response = FunctionUrlEvents.response(result.payloadBytes());
    } catch (IllegalArgumentException badBase64) {
      message(exchange, 502, "Internal Server Error");
      return;
    }
    if (response.status() < 100 || response.status() > 599) {
      message(exchange, 502, "Internal Server Error");
      return;
    }
    HttpHeaders out = exchange.responseHeaders();
    try {
      response
          .headers()
          .forEach(
              (name, value) -> {
                if (!FRAMING_HEADERS.contains(name)) {
                  out.set(name, value);
                }
              });
      response.cookies().forEach(cookie -> out.add("Set-Cookie", cookie));
    } catch (IllegalArgumentException badHeader) { // e.g. a line break in a value
      out.clear();
      message(exchange, 502, "Internal Server Error");
      return;
    }
    corsHeaders(
        exchange, url, origin); // the URL's CORS settings win over the function's, as in Lambda
    send(exchange, response.status(), response.body());
  }

  /**
   * An {@code AWS_IAM} URL's caller: authenticated and allowed to invoke, as for the Invoke API.
   * Refused alike whatever the reason, as Lambda's URLs answer 403 "Forbidden"; a gateway that
   * authenticates no one ({@code --auth none}) cannot let anyone in.
   */
  private boolean authorized(GatewayExchange exchange, FunctionConfig function) {
    if (guard.isOpen()) {
      LOG.warn(
          "function {}: its AWS_IAM URL is refused to everyone while the gateway runs with --auth none",
          function.key());
      return false;
    }
    try {
      guard.check(exchange, function.namespace(), function.name(), function.arn(registry.region()));
      return true;
    } catch (Refusal refusal) {
      LOG.debug("function {}: URL call refused: {}", function.key(), refusal.getMessage());
      return false;
    }
  }

  /** Lambda answers a CORS preflight itself, from the URL's CORS settings. */
  private static void preflight(GatewayExchange exchange, FunctionUrl url, String origin) {
    String method = exchange.header("Access-Control-Request-Method");
    String requested = exchange.header("Access-Control-Request-Headers");
    List<String> headers = requested == null ? List.of() : List.of(requested.split(","));
    String allowed = url.allowedOrigin(origin);
    HttpHeaders out = exchange.responseHeaders();
    if (allowed != null && url.allowsMethod(method) && url.allowsHeaders(headers)) {
      out.set("Access-Control-Allow-Origin", allowed);
      out.set("Access-Control-Allow-Methods", String.join(",", url.allowMethods()));
      if (!url.allowHeaders().isEmpty()) {
        out.set("Access-Control-Allow-Headers", String.join(",", url.allowHeaders()));
      }
      if (url.allowCredentials()) {
        out.set("Access-Control-Allow-Credentials", "true");
      }
      if (url.maxAge() != null) {
        out.set("Access-Control-Max-Age", Integer.toString(url.maxAge()));
      }
      if (!url.allowOrigins().contains("*") || url.allowCredentials()) {
        out.set("Vary", "Origin");
      }
    }
    send(exchange, 200, new byte[0]);
  }

  private static void corsHeaders(GatewayExchange exchange, FunctionUrl url, String origin) {
    String allowed = url.allowedOrigin(origin);
    if (allowed == null) {
      return;
    }
    HttpHeaders out = exchange.responseHeaders();
    out.set("Access-Control-Allow-Origin", allowed);
    if (url.allowCredentials()) {
      out.set("Access-Control-Allow-Credentials", "true");
    }
    if (!url.exposeHeaders().isEmpty()) {
      out.set("Access-Control-Expose-Headers", String.join(",", url.exposeHeaders()));
    }
  }

  /** The body, copied: the event carries it as text or base64. */
  private static byte[] readBody(GatewayExchange exchange) throws ServiceException {
    if (exchange.bodyLength() > InvokeApi.MAX_SYNC_PAYLOAD) {
      throw ServiceException.tooLarge(InvokeApi.MAX_SYNC_PAYLOAD);
    }
    return exchange.copyOfBody();
  }

  private static void message(GatewayExchange exchange, int status, String message) {
    exchange.responseHeaders().set("Content-Type", "application/json");
    send(exchange, status, ("{\"Message\":\"" + message + "\"}").getBytes(StandardCharsets.UTF_8));
  }

  private static void send(GatewayExchange exchange, int status, byte[] body) {
    exchange.respond(status, body);
  }
}
