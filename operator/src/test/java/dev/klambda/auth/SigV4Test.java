package dev.klambda.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4FamilyHttpSigner;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.HttpSigner;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;

/**
 * SigV4 as the AWS SDK for Java v2's own signer produces it, verified; and every way it is refused.
 */
class SigV4Test {
  private static final Instant NOW = Instant.parse("2026-12-05T10:00:00Z");
  private static final AccessKey KEY =
      new AccessKey("AKIDTEAMA", "team-a-secret", "team-a", "invoker", "team-a-key");
  private static final SigV4 VERIFIER =
      new SigV4(AccessKeys.of(List.of(KEY)), "us-east-1", Clock.fixed(NOW, ZoneOffset.UTC));
  private static final String INVOKE = "/2015-03-31/functions/echo/invocations";

  @Test
  void aRequestSignedByTheSdkIsVerifiedAsItsKey() throws Refusal {
    assertThat(
            VERIFIER.verify(
                signed(
                    "POST",
                    INVOKE,
                    null,
                    "{\"hello\":\"world\"}",
                    KEY.secretAccessKey(),
                    NOW,
                    "us-east-1",
                    Map.of())))
        .isEqualTo(KEY);
  }

  @Test
  void anArnInThePathAndAQualifierInTheQueryAreCanonicalisedAsTheSdkDoes() throws Refusal {
    String arn = "arn:aws:lambda:us-east-1:team-a:function:echo";
    assertThat(
            VERIFIER.verify(
                signed(
                    "POST",
                    "/2015-03-31/functions/" + arn.replace(":", "%3A") + "/invocations",
                    "Qualifier=%24LATEST",
                    "{}",
                    KEY.secretAccessKey(),
                    NOW,
                    "us-east-1",
                    Map.of())))
        .isEqualTo(KEY);
  }

  @Test
  void anEmptyBodyAndExtraSignedHeadersVerify() throws Refusal {
    assertThat(
            VERIFIER.verify(
                signed(
                    "POST",
                    INVOKE,
                    null,
                    "",
                    KEY.secretAccessKey(),
                    NOW,
                    "us-east-1",
                    Map.of("X-Amz-Invocation-Type", "Event", "X-Amz-Client-Context", "e30="))))
        .isEqualTo(KEY);
  }

  /** The gateway hashes the body in the buffers it arrived in, heap or direct, not a copy. */
  @Test
  void aBodyThatArrivedInPartsIsHashedAsOne() throws Refusal {
    Request signed =
        signed(
            "POST",
            INVOKE,
            null,
            "{\"hello\":\"world\"}",
            KEY.secretAccessKey(),
            NOW,
            "us-east-1",
            Map.of());
    byte[] body = signed.body();
    ByteBuffer direct = ByteBuffer.allocateDirect(body.length - 5).put(body, 5, body.length - 5);
    AuthRequest inParts =
        new AuthRequest() {
          @Override
          public String method() {
            return signed.method();
          }

          @Override
          public String rawPath() {
            return signed.rawPath();
          }

          @Override
          public String rawQuery() {
            return signed.rawQuery();
          }

          @Override
          public List<String> headerValues(String name) {
            return signed.headerValues(name);
          }

          @Override
          public ByteBuffer[] bodyParts() {
            return new ByteBuffer[] {
              ByteBuffer.wrap(body, 0, 2), ByteBuffer.wrap(body, 2, 3), direct.duplicate().flip()
            };
          }
        };

    assertThat(VERIFIER.verify(inParts)).isEqualTo(KEY);
  }

  @Test
  void aChangedBodyIsABadSignature() {
    Request request =
        signed(
            "POST",
            INVOKE,
            null,
            "{\"amount\":1}",
            KEY.secretAccessKey(),
            NOW,
            "us-east-1",
            Map.of());
    // the SDK signs the body's hash in X-Amz-Content-Sha256 too, which no longer matches
    assertRefused(
        request.withBody("{\"amount\":1000}"),
        Refusal.Reason.BAD_SIGNATURE,
        403,
        "InvalidSignatureException",
        "X-Amz-Content-Sha256 must be the SHA-256 of the body");
    Map<String, List<String>> withoutHash = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    withoutHash.putAll(request.headers());
    withoutHash.remove("X-Amz-Content-Sha256");
    assertRefused(
        new Request(
            "POST",
            INVOKE,
            null,
            withoutHash,
            "{\"amount\":1000}".getBytes(StandardCharsets.UTF_8)),
        Refusal.Reason.BAD_SIGNATURE,
        403,
        "InvalidSignatureException",
        "The request signature we calculated does not match the signature you provided");
  }

  @Test
  void aChangedSignedHeaderIsABadSignature() {
    Request request =
        signed(
            "POST",
            INVOKE,
            null,
            "{}",
            KEY.secretAccessKey(),
            NOW,
            "us-east-1",
            Map.of("X-Amz-Invocation-Type", "RequestResponse"));
    assertRefused(
        request.withHeader("X-Amz-Invocation-Type", "Event"),
        Refusal.Reason.BAD_SIGNATURE,
        403,
        "InvalidSignatureException",
        "does not match");
  }

  @Test
  void theWrongSecretIsABadSignature() {
    assertRefused(
        signed("POST", INVOKE, null, "{}", "not-the-secret", NOW, "us-east-1", Map.of()),
        Refusal.Reason.BAD_SIGNATURE,
        403,
        "InvalidSignatureException",
        "Check your AWS Secret Access Key");
  }

  @Test
  void anUnknownAccessKeyIsUnrecognized() {
    SigV4 noKeys =
        new SigV4(AccessKeys.of(List.of()), "us-east-1", Clock.fixed(NOW, ZoneOffset.UTC));
    Request request =
        signed("POST", INVOKE, null, "{}", KEY.secretAccessKey(), NOW, "us-east-1", Map.of());
    assertThatThrownBy(() -> noKeys.verify(request))
        .isInstanceOfSatisfying(
            Refusal.class,
            r -> {
              assertThat(r.reason()).isEqualTo(Refusal.Reason.UNKNOWN_KEY);
              assertThat(r.type()).isEqualTo("UnrecognizedClientException");
              assertThat(r.getMessage()).contains("AKIDTEAMA").contains(AccessKey.SECRET_TYPE);
            });
  }

  @Test
  void aRequestMoreThanFifteenMinutesOldOrAheadHasExpired() {
    assertRefused(
        signed(
            "POST",
            INVOKE,
            null,
            "{}",
            KEY.secretAccessKey(),
            NOW.minus(Duration.ofMinutes(16)),
            "us-east-1",
            Map.of()),
        Refusal.Reason.EXPIRED,
        403,
        "InvalidSignatureException",
        "Signature expired: 20261205T094400Z is now earlier than 20261205T094500Z (20261205T100000Z - 15 min.)");
    assertRefused(
        signed(
            "POST",
            INVOKE,
            null,
            "{}",
            KEY.secretAccessKey(),
            NOW.plus(Duration.ofMinutes(16)),
            "us-east-1",
            Map.of()),
        Refusal.Reason.EXPIRED,
        403,
        "InvalidSignatureException",
        "Signature not yet current: 20261205T101600Z is still later than 20261205T101500Z");
  }

  @Test
  void withinFifteenMinutesTheClocksMayDiffer() throws Refusal {
    assertThat(
            VERIFIER.verify(
                signed(
                    "POST",
                    INVOKE,
                    null,
                    "{}",
                    KEY.secretAccessKey(),
                    NOW.minus(Duration.ofMinutes(14)),
                    "us-east-1",
                    Map.of())))
        .isEqualTo(KEY);
  }

  @Test
  void anotherRegionIsRefusedNamingThisOne() {
    assertRefused(
        signed("POST", INVOKE, null, "{}", KEY.secretAccessKey(), NOW, "eu-west-1", Map.of()),
        Refusal.Reason.BAD_SIGNATURE,
        403,
        "InvalidSignatureException",
        "Credential should be scoped to a valid region, not 'eu-west-1'. This gateway's region is 'us-east-1'.");
  }

  @Test
  void temporaryCredentialsAreUnrecognized() {
    Request request =
        signed(
            "POST",
            INVOKE,
            null,
            "{}",
            KEY.secretAccessKey(),
            NOW,
            "us-east-1",
            Map.of("X-Amz-Security-Token", "session"));
    assertRefused(
        request,
        Refusal.Reason.UNKNOWN_KEY,
        403,
        "UnrecognizedClientException",
        "X-Amz-Security-Token");
  }

  @Test
  void anAuthorizationHeaderWithoutItsPartsIsIncomplete() {
    Request garbage =
        new Request("POST", INVOKE, null, new TreeMap<>(String.CASE_INSENSITIVE_ORDER), new byte[0])
            .withHeader("Authorization", "AWS4-HMAC-SHA256 complete nonsense")
            .withHeader("X-Amz-Date", "20261205T100000Z");
    assertRefused(
        garbage,
        Refusal.Reason.MALFORMED,
        400,
        "IncompleteSignatureException",
        "Authorization header requires 'Credential' parameter");
  }

  @Test
  void awsUriEncodingKeepsOnlyUnreservedCharacters() {
    assertThat(SigV4.encode("/a b/%3A~é", false)).isEqualTo("/a%20b/%253A~%C3%A9");
    assertThat(SigV4.encode("a/b", true)).isEqualTo("a%2Fb");
  }

  private static void assertRefused(
      Request request, Refusal.Reason reason, int status, String type, String message) {
    assertThatThrownBy(() -> VERIFIER.verify(request))
        .isInstanceOfSatisfying(
            Refusal.class,
            refusal -> {
              assertThat(refusal.reason()).isEqualTo(reason);
              assertThat(refusal.status()).isEqualTo(status);
              assertThat(refusal.type()).isEqualTo(type);
              assertThat(refusal.getMessage()).contains(message);
            });
  }

  /** The request as the SDK's own SigV4 signer signs it for service lambda. */
  static Request signed(
      String method,
      String path,
      String query,
      String body,
      String secret,
      Instant at,
      String region,
      Map<String, String> headers) {
    SdkHttpRequest.Builder http =
        SdkHttpRequest.builder()
            .method(SdkHttpMethod.fromValue(method))
            .uri(URI.create("http://127.0.0.1:8080" + path + (query == null ? "" : "?" + query)))
            .putHeader("Content-Type", "application/json");
    headers.forEach(http::putHeader);
    var signed =
        AwsV4HttpSigner.create()
            .sign(
                r ->
                    r.identity(AwsCredentialsIdentity.create(KEY.accessKeyId(), secret))
                        .request(http.build())
                        .payload(ContentStreamProvider.fromUtf8String(body))
                        .putProperty(AwsV4FamilyHttpSigner.SERVICE_SIGNING_NAME, "lambda")
                        .putProperty(AwsV4HttpSigner.REGION_NAME, region)
                        .putProperty(HttpSigner.SIGNING_CLOCK, Clock.fixed(at, ZoneOffset.UTC)));
    Map<String, List<String>> sent = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    sent.putAll(signed.request().headers());
    if (!sent.containsKey("Host")) {
      sent.put("Host", List.of("127.0.0.1:8080"));
    }
    return new Request(
        method,
        signed.request().encodedPath(),
        signed.request().encodedQueryParameters().orElse(null),
        sent,
        body.getBytes(StandardCharsets.UTF_8));
  }

  /** A request as the gateway receives it. */
  record Request(
      String method,
      String rawPath,
      String rawQuery,
      Map<String, List<String>> headers,
      byte[] body)
      implements AuthRequest {
    @Override
    public List<String> headerValues(String name) {
      return headers.getOrDefault(name, List.of());
    }

    @Override
    public ByteBuffer[] bodyParts() {
      return new ByteBuffer[] {ByteBuffer.wrap(body)};
    }

    Request withBody(String text) {
      return new Request(method, rawPath, rawQuery, headers, text.getBytes(StandardCharsets.UTF_8));
    }

    Request withHeader(String name, String value) {
      Map<String, List<String>> changed = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
      changed.putAll(headers);
      changed.put(name, List.of(value));
      return new Request(method, rawPath, rawQuery, changed, body);
    }
  }
}
