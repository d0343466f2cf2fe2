package dev.klambda.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FunctionUrlEventsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void theEventIsPayloadFormatTwo() throws Exception {
    Map<String, List<String>> headers = new LinkedHashMap<>();
    headers.put("Host", List.of("web.default.lambda-url.example.com"));
    headers.put("X-Multi", List.of("a", "b"));
    headers.put("Cookie", List.of("a=1; b=2"));
    headers.put("User-Agent", List.of("curl/8"));
    JsonNode event =
        JSON.readTree(
            FunctionUrlEvents.event(
                new FunctionUrlEvents.HttpRequest(
                    "GET",
                    "/p/q",
                    "x=1&x=2&y=%20z&flag",
                    headers,
                    "10.0.0.7",
                    new byte[0],
                    "req-1",
                    "web",
                    Instant.parse("2026-11-25T16:54:08.123Z"))));

    assertThat(event.get("version").asText()).isEqualTo("2.0");
    assertThat(event.get("routeKey").asText()).isEqualTo("$default");
    assertThat(event.get("rawPath").asText()).isEqualTo("/p/q");
    assertThat(event.get("rawQueryString").asText()).isEqualTo("x=1&x=2&y=%20z&flag");
    assertThat(event.get("cookies").toString()).isEqualTo("[\"a=1\",\"b=2\"]");
    assertThat(event.get("headers").has("cookie")).isFalse();
    assertThat(event.at("/headers/x-multi").asText()).isEqualTo("a,b");
    assertThat(event.get("queryStringParameters").toString())
        .isEqualTo("{\"x\":\"1,2\",\"y\":\" z\",\"flag\":\"\"}");
    assertThat(event.at("/requestContext/domainName").asText())
        .isEqualTo("web.default.lambda-url.example.com");
    assertThat(event.at("/requestContext/domainPrefix").asText()).isEqualTo("web");
    assertThat(event.at("/requestContext/http/sourceIp").asText()).isEqualTo("10.0.0.7");
    assertThat(event.at("/requestContext/http/userAgent").asText()).isEqualTo("curl/8");
    assertThat(event.at("/requestContext/time").asText()).isEqualTo("25/Nov/2026:16:54:08 +0000");
    assertThat(event.at("/requestContext/timeEpoch").asLong())
        .isEqualTo(Instant.parse("2026-11-25T16:54:08.123Z").toEpochMilli());
    assertThat(event.has("body")).isFalse();
    assertThat(event.get("isBase64Encoded").asBoolean()).isFalse();
  }

  @Test
  void aStatusCodeObjectIsMappedAndAnythingElseIsAJsonBody() {
    var mapped =
        FunctionUrlEvents.response(
            ("{\"statusCode\":404,\"headers\":{\"X-A\":\"1\"},\"cookies\":[\"c=1\"],"
                    + "\"body\":\"aGk=\",\"isBase64Encoded\":true}")
                .getBytes(StandardCharsets.UTF_8));
    var plain = FunctionUrlEvents.response("[1,2]".getBytes(StandardCharsets.UTF_8));

    assertThat(mapped.status()).isEqualTo(404);
    assertThat(mapped.headers())
        .containsEntry("x-a", "1")
        .containsEntry("content-type", "application/json");
    assertThat(mapped.cookies()).containsExactly("c=1");
    assertThat(new String(mapped.body(), StandardCharsets.UTF_8)).isEqualTo("hi");
    assertThat(plain.status()).isEqualTo(200);
    assertThat(new String(plain.body(), StandardCharsets.UTF_8)).isEqualTo("[1,2]");
  }
}
