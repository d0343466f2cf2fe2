package dev.klambda.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.klambda.testing.LambdaClients;
import dev.klambda.testing.LocalModes;
import dev.klambda.testing.Manifests;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4FamilyHttpSigner;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.HttpSigner;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;
import software.amazon.awssdk.services.lambda.model.LambdaException;

/**
 * {@code klambda local --auth sigv4}: requests signed by the real AWS SDK v2 and the AWS CLI with
 * access keys from Secrets in the manifests; a key invokes the functions of its own namespace.
 * Every refusal with Lambda's status and error code, and nothing said about functions the caller
 * may not invoke.
 */
class LocalAuthIT {
  private static final String TEAM_A_ARN = "arn:aws:lambda:us-east-1:team-a:function:echo";
  private final HttpClient http = HttpClient.newHttpClient();
  private LocalMode local;
  private String base;

  @BeforeEach
  void start(@TempDir Path dir) throws Exception {
    String echo = Manifests.bashRuntime("", "  respond \"$1\" \"$2\"");
    Path manifest =
        Manifests.write(
            dir.resolve("functions.yaml"),
            List.of(
                Manifests.inNamespace("team-a", Manifests.provided("echo", echo, Map.of())),
                Manifests.inNamespace(
                    "team-a",
                    Manifests.provided(
                        "private-url", echo, Map.of("url", Map.of("authType", "AWS_IAM")))),
                Manifests.inNamespace("team-b", Manifests.provided("echo", echo, Map.of())),
                Manifests.accessKey(
                    "team-a", "invoker-key", "AKIDTEAMA", "team-a-secret", "invoker"),
                Manifests.accessKey(
                    "team-b", "invoker-key", "AKIDTEAMB", "team-b-secret", "invoker")));
    local = LocalModes.start(dir, LocalModes.discarded(), "--auth", "sigv4", manifest.toString());
    base = local.gateway().baseUrl();
  }

  @AfterEach
  void stop() {
    local.close();
  }

  @Test
  void aKeyInvokesTheFunctionsOfItsNamespace() {
    try (LambdaClient lambda = LambdaClients.of(base, "AKIDTEAMA", "team-a-secret")) {
      InvokeResponse answer =
          lambda.invoke(
              r -> r.functionName(TEAM_A_ARN).payload(SdkBytes.fromUtf8String("{\"n\":1}")));
      assertThat(answer.statusCode()).isEqualTo(200);
      assertThat(answer.payload().asUtf8String()).isEqualTo("{\"n\":1}");
    }
  }

  @Test
  void aKeyOfAnotherNamespaceIsDeniedWhetherOrNotTheFunctionExists() {
    try (LambdaClient lambda = LambdaClients.of(base, "AKIDTEAMB", "team-b-secret")) {
      LambdaException existing = refused(lambda, TEAM_A_ARN);
      LambdaException missing = refused(lambda, "arn:aws:lambda:us-east-1:team-a:function:no-such");
      for (LambdaException denied : List.of(existing, missing)) {
        assertThat(denied.statusCode()).isEqualTo(403);
        assertThat(denied.awsErrorDetails().errorCode()).isEqualTo("AccessDeniedException");
        assertThat(denied.awsErrorDetails().errorMessage())
            .contains(
                "access key AKIDTEAMB (system:serviceaccount:team-b:invoker) is not authorized to perform: "
                    + "lambda:InvokeFunction on resource: arn:aws:lambda:us-east-1:team-a:function:");
      }
      assertThat(
              lambda
                  .invoke(r -> r.functionName("arn:aws:lambda:us-east-1:team-b:function:echo"))
                  .statusCode())
          .isEqualTo(200);
    }
    try (LambdaClient lambda = LambdaClients.of(base, "AKIDTEAMA", "team-a-secret")) {
      LambdaException notFound =
          refused(lambda, "arn:aws:lambda:us-east-1:team-a:function:no-such");
      assertThat(notFound.awsErrorDetails().errorCode()).isEqualTo("ResourceNotFoundException");
    }
  }

  @Test
  void anUnknownKeyOrAWrongSecretIsRefusedAsLambdaRefusesIt() {
    try (LambdaClient lambda = LambdaClients.of(base, "AKIDNOBODY", "whatever")) {
      LambdaException unknown = refused(lambda, TEAM_A_ARN);
      assertThat(unknown.statusCode()).isEqualTo(403);
      assertThat(unknown.awsErrorDetails().errorCode()).isEqualTo("UnrecognizedClientException");
    }
    try (LambdaClient lambda = LambdaClients.of(base, "AKIDTEAMA", "not-the-secret")) {
      LambdaException badSignature = refused(lambda, TEAM_A_ARN);
      assertThat(badSignature.statusCode()).isEqualTo(403);
      assertThat(badSignature.awsErrorDetails().errorCode()).isEqualTo("InvalidSignatureException");
    }
  }

  @Test
  void unsignedAndNonsenseCredentialsAreRefused() throws Exception {
    HttpResponse<String> unsigned = post(HttpRequest.newBuilder(invokeUri()));
    assertThat(unsigned.statusCode()).isEqualTo(403);
    assertThat(unsigned.headers().firstValue("x-amzn-ErrorType"))
        .hasValue("MissingAuthenticationTokenException");
    assertThat(unsigned.body()).contains("Missing Authentication Token");

    HttpResponse<String> nonsense =
        post(HttpRequest.newBuilder(invokeUri()).header("Authorization", "complete nonsense"));
    assertThat(nonsense.statusCode()).isEqualTo(400);
    assertThat(nonsense.headers().firstValue("x-amzn-ErrorType"))
        .hasValue("IncompleteSignatureException");

    HttpResponse<String> garbage =
        post(
            HttpRequest.newBuilder(invokeUri())
                .header(
                    "Authorization",
                    "AWS4-HMAC-SHA256 Credential=AKIDTEAMA/20261205/us-east-1/lambda/aws4_request, "
                        + "SignedHeaders=host;x-amz-date, Signature=00")
                .header("X-Amz-Date", "20261205T000000Z"));
    assertThat(garbage.statusCode()).isEqualTo(403);
    assertThat(garbage.headers().firstValue("x-amzn-ErrorType"))
        .hasValue("InvalidSignatureException");
    assertThat(garbage.body()).doesNotContain("{\"n\"");

    assertThat(metrics())
        .containsPattern("klambda_auth_refusals_total\\{reason=\"missing_credentials\"} 1")
        .containsPattern("klambda_auth_refusals_total\\{reason=\"malformed\"} 1");
  }

  @Test
  void theAwsCliSignsWithAKeyAndInvokes(@TempDir Path dir) throws Exception {
    assumeTrue(commandExists("aws"), "the AWS CLI is not installed");
    Path out = dir.resolve("out.json");
    List<String> command =
        new java.util.ArrayList<>(
            List.of(
                "aws",
                "lambda",
                "invoke",
                "--endpoint-url",
                base,
                "--region",
                "us-east-1",
                "--function-name",
                TEAM_A_ARN,
                "--payload",
                "{\"cli\":true}",
                out.toString()));
    if (!cliVersion().startsWith("aws-cli/1.")) {
      command.addAll(
          3, List.of("--cli-binary-format", "raw-in-base64-out")); // v2 reads --payload as base64
    }
    ProcessBuilder cli = new ProcessBuilder(command).redirectErrorStream(true);
    cli.environment()
        .putAll(
            Map.of(
                "AWS_ACCESS_KEY_ID",
                "AKIDTEAMA",
                "AWS_SECRET_ACCESS_KEY",
                "team-a-secret",
                "AWS_CONFIG_FILE",
                dir.resolve("none").toString(),
                "AWS_SHARED_CREDENTIALS_FILE",
                dir.resolve("none").toString()));
    cli.environment().remove("AWS_SESSION_TOKEN");
    Process process = cli.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as(output).isZero();
    assertThat(Files.readString(out)).isEqualTo("{\"cli\":true}");
  }

  @Test
  void anAwsIamFunctionUrlTakesOnlySignedCallersOfItsNamespace() throws Exception {
    String path = "/url/team-a/private-url/hello";
    assertThat(
            http.send(
                    HttpRequest.newBuilder(URI.create(base + path)).GET().build(),
                    HttpResponse.BodyHandlers.ofString())
                .statusCode())
        .isEqualTo(403);
    assertThat(signedGet(path, "AKIDTEAMB", "team-b-secret").statusCode()).isEqualTo(403);
    HttpResponse<String> allowed = signedGet(path, "AKIDTEAMA", "team-a-secret");
    assertThat(allowed.statusCode()).isEqualTo(200);
    assertThat(allowed.body()).contains("\"rawPath\":\"/hello\"");
  }

  private HttpResponse<String> signedGet(String path, String accessKeyId, String secret)
      throws Exception {
    URI uri = URI.create(base + path);
    var signed =
        AwsV4HttpSigner.create()
            .sign(
                r ->
                    r.identity(AwsCredentialsIdentity.create(accessKeyId, secret))
                        .request(
                            SdkHttpRequest.builder().method(SdkHttpMethod.GET).uri(uri).build())
                        .payload(ContentStreamProvider.fromUtf8String(""))
                        .putProperty(AwsV4FamilyHttpSigner.SERVICE_SIGNING_NAME, "lambda")
                        .putProperty(AwsV4HttpSigner.REGION_NAME, "us-east-1")
                        .putProperty(HttpSigner.SIGNING_CLOCK, Clock.systemUTC()));
    HttpRequest.Builder request = HttpRequest.newBuilder(uri).GET();
    // the JDK's client sets Host itself, from the URI, as the signer did
    signed
        .request()
        .headers()
        .forEach(
            (name, values) -> {
              if (!name.equalsIgnoreCase("Host")) {
                values.forEach(value -> request.header(name, value));
              }
            });
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static LambdaException refused(LambdaClient lambda, String functionName) {
    return (LambdaException)
        org.assertj.core.api.Assertions.catchThrowable(
            () ->
                lambda.invoke(
                    r -> r.functionName(functionName).payload(SdkBytes.fromUtf8String("{}"))));
  }

  private URI invokeUri() {
    return URI.create(
        base + "/2015-03-31/functions/" + TEAM_A_ARN.replace(":", "%3A") + "/invocations");
  }

  private HttpResponse<String> post(HttpRequest.Builder request)
      throws IOException, InterruptedException {
    return http.send(
        request.POST(HttpRequest.BodyPublishers.ofString("{\"n\":1}")).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private String metrics() throws IOException, InterruptedException {
    return http.send(
            HttpRequest.newBuilder(URI.create(local.metricsUrl())).build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  private static String cliVersion() throws IOException, InterruptedException {
    Process version = new ProcessBuilder("aws", "--version").redirectErrorStream(true).start();
    String text =
        new String(version.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    version.waitFor();
    return text;
  }

  private static boolean commandExists(String command) {
    try {
      return new ProcessBuilder("sh", "-c", "command -v " + command).start().waitFor() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
