package dev.klambda.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Lambda's function URL contract, pure: an HTTP request as the payload format 2.0 event, and the
 * function's result as the HTTP response (a {@code statusCode} object, or any other JSON as a 200
 * {@code application/json} body).
 */
final class FunctionUrlEvents {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ENGLISH)
          .withZone(ZoneOffset.UTC);

  private FunctionUrlEvents() {}

  /** An HTTP request as the gateway received it; header names in any case. */
  record HttpRequest(
      String method,
      String rawPath,
      String rawQuery,
      Map<String, List<String>> headers,
      String sourceIp,
      byte[] body,
      String requestId,
      String functionName,
      Instant time) {}

  /** What goes back to the HTTP client. */
  record HttpResponse(int status, Map<String, String> headers, List<String> cookies, byte[] body) {}

  static byte[] event(HttpRequest request) {
    Map<String, String> headers = new LinkedHashMap<>();
    List<String> cookies = new ArrayList<>();
    request
        .headers()
        .forEach(
            (name, values) -> {
              String lower = name.toLowerCase(Locale.ROOT);
              if (lower.equals("cookie")) {
                values.forEach(
                    v ->
                        List.of(v.split(";\\s*")).stream()
                            .filter(c -> !c.isBlank())
                            .forEach(cookies::add));
              } else {
                headers.merge(lower, String.join(",", values), (a, b) -> a + "," + b);
              }
            });
    ObjectNode event = JSON.createObjectNode();
    event.put("version", "2.0");
    event.put("routeKey", "$default");
    event.put("rawPath", request.rawPath());
    event.put("rawQueryString", request.rawQuery() == null ? "" : request.rawQuery());
    if (!cookies.isEmpty()) {
      cookies.forEach(event.putArray("cookies")::add);
    }
    ObjectNode headerNode = event.putObject("headers");
    headers.forEach(headerNode::put);
    if (request.rawQuery() != null && !request.rawQuery().isEmpty()) {
      ObjectNode query = event.putObject("queryStringParameters");
      queryParameters(request.rawQuery()).forEach(query::put);
    }
    String host = headers.getOrDefault("host", "localhost");
    ObjectNode context = event.putObject("requestContext");
    context.put("accountId", "anonymous");
    context.put("apiId", request.functionName());
    context.put("domainName", host);
    context.put("domainPrefix", host.split("[.:]")[0]);
    ObjectNode http = context.putObject("http");
    http.put("method", request.method());
    http.put("path", request.rawPath());
    http.put("protocol", "HTTP/1.1");
    http.put("sourceIp", request.sourceIp());
    http.put("userAgent", headers.getOrDefault("user-agent", ""));
    context.put("requestId", request.requestId());
    context.put("routeKey", "$default");
    context.put("stage", "$default");
    context.put("time", TIME.format(request.time()));
    context.put("timeEpoch", request.time().toEpochMilli());
    if (request.body().length > 0) {
      boolean text = isText(headers.get("content-type"));
      event.put(
          "body",
          text
              ? new String(request.body(), StandardCharsets.UTF_8)
              : Base64.getEncoder().encodeToString(request.body()));
      event.put("isBase64Encoded", !text);
    } else {
      event.put("isBase64Encoded", false);
    }
    try {
      return JSON.writeValueAsBytes(event);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Repeated parameters joined with commas, as Lambda does. */
  private static Map<String, String> queryParameters(String rawQuery) {
    Map<String, String> parameters = new LinkedHashMap<>();
    for (String pair : rawQuery.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String name =
          URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String value =
          eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      parameters.merge(name, value, (a, b) -> a + "," + b);
    }
    return parameters;
  }

  private static boolean isText(String contentType) {
    if (contentType == null) {
      return true;
    }
    String type = contentType.toLowerCase(Locale.ROOT);
    return type.startsWith("text/")
        || type.contains("json")
        || type.contains("xml")
        || type.contains("javascript")
        || type.startsWith("application/x-www-form-urlencoded");
  }

  /** The function's result as Lambda maps it for a function URL. */
  static HttpResponse response(byte[] payload) {
    JsonNode result;
    try {
      result = JSON.readTree(payload);
    } catch (IOException notJson) {
      result = null;
    }
    if (result == null || !result.isObject() || !result.has("statusCode")) {
      return new HttpResponse(200, Map.of("content-type", "application/json"), List.of(), payload);
    }
    Map<String, String> headers = new LinkedHashMap<>();
    result
        .path("headers")
        .properties()
        .forEach(e -> headers.put(e.getKey().toLowerCase(Locale.ROOT), e.getValue().asText()));
    headers.putIfAbsent("content-type", "application/json");
    List<String> cookies = new ArrayList<>();
    result.path("cookies").forEach(c -> cookies.add(c.asText()));
    JsonNode body = result.get("body");
    byte[] bytes;
    if (body == null || body.isNull()) {
      bytes = new byte[0];
    } else if (!body.isTextual()) {
      bytes = body.toString().getBytes(StandardCharsets.UTF_8);
    } else if (result.path("isBase64Encoded").asBoolean(false)) {
      bytes = Base64.getDecoder().decode(body.asText());
    } else {
      bytes = body.asText().getBytes(StandardCharsets.UTF_8);
    }
    return new HttpResponse(result.get("statusCode").asInt(200), headers, cookies, bytes);
  }
}
