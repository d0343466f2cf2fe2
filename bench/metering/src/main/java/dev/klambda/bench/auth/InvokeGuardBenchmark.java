package dev.klambda.bench.auth;

import com.sun.net.httpserver.HttpServer;
import dev.klambda.auth.AccessKey;
import dev.klambda.auth.AccessKeys;
import dev.klambda.auth.AuthMethods;
import dev.klambda.auth.AuthRequest;
import dev.klambda.auth.BearerTokens;
import dev.klambda.auth.InvokeGuard;
import dev.klambda.auth.RbacPermissions;
import dev.klambda.auth.Refusal;
import dev.klambda.auth.SigV4;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4FamilyHttpSigner;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.HttpSigner;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;

/**
 * What authentication adds to a warm invocation on the gateway's event loop: the caller's check
 * with its decision cached (RBAC's SubjectAccessReview, a bearer token's TokenReview) for a request
 * signed by the AWS SDK's own SigV4 signer (128-byte payload) and for a bearer token. The API
 * server of the first, uncached check is a local stub answering "allowed".
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class InvokeGuardBenchmark {
  private static final String ARN = "arn:aws:lambda:us-east-1:team-a:function:echo";
  private static final AccessKey KEY =
      new AccessKey("AKIDBENCH", "bench-secret", "team-a", "invoker", "bench-key");

  private HttpServer apiServer;
  private KubernetesClient client;
  private SigV4 sigV4;
  private InvokeGuard guard;
  private Request signed;
  private Request bearer;

  @Setup
  public void setUp() throws Exception {
    apiServer = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    apiServer.createContext(
        "/apis/authentication.k8s.io/v1/tokenreviews",
        exchange ->
            answer(
                exchange,
                "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"TokenReview\",\"status\":{\"authenticated\":true,"
                    + "\"user\":{\"username\":\"system:serviceaccount:team-a:invoker\",\"groups\":[\"system:serviceaccounts\"]}}}"));
    apiServer.createContext(
        "/apis/authorization.k8s.io/v1/subjectaccessreviews",
        exchange ->
            answer(
                exchange,
                "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SubjectAccessReview\",\"status\":{\"allowed\":true}}"));
    apiServer.start();
    client =
        new KubernetesClientBuilder()
            .withHttpClientFactory(new JdkHttpClientFactory())
            .withConfig(
                new ConfigBuilder()
                    .withMasterUrl("http://127.0.0.1:" + apiServer.getAddress().getPort())
                    .withOauthToken("gateway")
                    .build())
            .build();
    sigV4 = new SigV4(AccessKeys.of(List.of(KEY)), "us-east-1", Clock.systemUTC());
    guard =
        new InvokeGuard(
            EnumSet.allOf(AuthMethods.class),
            sigV4,
            new BearerTokens(
                client, List.of("klambda"), Duration.ofHours(1), Duration.ofSeconds(10)),
            new RbacPermissions(client, Duration.ofHours(1), Duration.ofSeconds(10)));
    signed = sign("{\"payload\":\"" + "x".repeat(114) + "\"}");
    bearer =
        new Request(
            headers(
                Map.of(
                    "Authorization",
                    "Bearer a-projected-service-account-token",
                    "Host",
                    "gateway:8080")),
            "{}".getBytes(StandardCharsets.UTF_8));
    // the first check of each asks the API server; the benchmark measures the cached ones
    guard.check(signed, "team-a", "echo", ARN);
    guard.check(bearer, "team-a", "echo", ARN);
  }

  @TearDown
  public void tearDown() {
    client.close();
    apiServer.stop(0);
  }

  /**
   * The signature alone: canonical request, body hash, string to sign, one HMAC (the signing key
   * cached).
   */
  @Benchmark
  public AccessKey sigV4Verify() throws Refusal {
    return sigV4.verify(signed);
  }

  /** SigV4 and RBAC's cached decision: the whole check of a signed warm invocation. */
  @Benchmark
  public Object signedCallerCached() throws Refusal {
    return guard.checkNow(signed, "team-a", "echo", ARN);
  }

  /** A bearer token: its review and RBAC's decision, both cached. */
  @Benchmark
  public Object bearerCallerCached() throws Refusal {
    return guard.checkNow(bearer, "team-a", "echo", ARN);
  }

  private static void answer(com.sun.net.httpserver.HttpExchange exchange, String json)
      throws IOException {
    exchange.getRequestBody().readAllBytes();
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(201, body.length);
    exchange.getResponseBody().write(body);
    exchange.close();
  }

  private static Request sign(String payload) {
    var result =
        AwsV4HttpSigner.create()
            .sign(
                r ->
                    r.identity(
                            AwsCredentialsIdentity.create(KEY.accessKeyId(), KEY.secretAccessKey()))
                        .request(
                            SdkHttpRequest.builder()
                                .method(SdkHttpMethod.POST)
                                .uri(
                                    URI.create(
                                        "http://gateway:8080/2015-03-31/functions/"
                                            + ARN.replace(":", "%3A")
                                            + "/invocations"))
                                .putHeader("Content-Type", "application/json")
                                .build())
                        .payload(ContentStreamProvider.fromUtf8String(payload))
                        .putProperty(AwsV4FamilyHttpSigner.SERVICE_SIGNING_NAME, "lambda")
                        .putProperty(AwsV4HttpSigner.REGION_NAME, "us-east-1")
                        // an hour ahead of the measurement's end would expire it: signed now,
                        // checked within minutes
                        .putProperty(HttpSigner.SIGNING_CLOCK, Clock.systemUTC()));
    Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    headers.putAll(result.request().headers());
    headers.putIfAbsent("Host", List.of("gateway:8080"));
    return new Request(
        "/2015-03-31/functions/" + ARN.replace(":", "%3A") + "/invocations",
        headers,
        payload.getBytes(StandardCharsets.UTF_8));
  }

  private static Map<String, List<String>> headers(Map<String, String> values) {
    Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    values.forEach((name, value) -> headers.put(name, List.of(value)));
    return headers;
  }

  /** A request as the gateway holds it. */
  private record Request(String rawPath, Map<String, List<String>> headers, byte[] body)
      implements AuthRequest {
    Request(Map<String, List<String>> headers, byte[] body) {
      this("/2015-03-31/functions/echo/invocations", headers, body);
    }

    @Override
    public String method() {
      return "POST";
    }

    @Override
    public String rawQuery() {
      return null;
    }

    @Override
    public List<String> headerValues(String name) {
      return headers.getOrDefault(name, List.of());
    }
  }
}
