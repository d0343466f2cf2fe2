package dev.klambda.testing;

import java.net.URI;
import java.time.Duration;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.lambda.LambdaClient;

/** The real AWS SDK client pointed at a klambda gateway, without retries (tests count answers). */
public final class LambdaClients {
  private LambdaClients() {}

  public static LambdaClient of(String baseUrl) {
    return of(baseUrl, "test", "test");
  }

  /** A client that signs with this access key (SigV4, as every AWS SDK does by default). */
  public static LambdaClient of(String baseUrl, String accessKeyId, String secretAccessKey) {
    return LambdaClient.builder()
        .endpointOverride(URI.create(baseUrl))
        .region(Region.US_EAST_1)
        .credentialsProvider(
            StaticCredentialsProvider.create(
                AwsBasicCredentials.create(accessKeyId, secretAccessKey)))
        .httpClient(
            UrlConnectionHttpClient.builder().socketTimeout(Duration.ofSeconds(150)).build())
        .overrideConfiguration(
            c ->
                c.retryStrategy(AwsRetryStrategy.doNotRetry())
                    .apiCallTimeout(Duration.ofSeconds(180)))
        .build();
  }
}
