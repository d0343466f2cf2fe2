package dev.klambda.destinations;

import java.net.URI;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProviderChain;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * SQS clients for sources and destinations: a Secret's credentials or AWS's default chain, an
 * optional endpoint.
 */
public final class SqsClients {
  private SqsClients() {}

  /**
   * @param credentials from a Secret; null for the AWS default credential chain, and without AWS
   *     credentials the requests go unsigned, which SQS-compatible servers like ElasticMQ accept
   * @param endpoint any SQS-compatible server, or null for AWS
   */
  public static SqsClient of(String region, String endpoint, AwsCredentials credentials) {
    AwsCredentialsProvider provider =
        credentials != null
            ? StaticCredentialsProvider.create(credentials)
            : AwsCredentialsProviderChain.builder()
                .credentialsProviders(
                    DefaultCredentialsProvider.builder().build(),
                    AnonymousCredentialsProvider.create())
                .build();
    var builder =
        SqsClient.builder()
            .region(Region.of(region))
            .httpClient(
                UrlConnectionHttpClient.builder()
                    .socketTimeout(java.time.Duration.ofSeconds(30))
                    .build())
            .credentialsProvider(provider);
    if (endpoint != null && !endpoint.isBlank()) {
      builder.endpointOverride(URI.create(endpoint));
    }
    return builder.build();
  }

  /** The queue's VisibilityTimeout attribute, in seconds. */
  public static int visibilityTimeoutSeconds(SqsClient sqs, String queueUrl) {
    return Integer.parseInt(
        sqs.getQueueAttributes(
                r -> r.queueUrl(queueUrl).attributeNames(QueueAttributeName.VISIBILITY_TIMEOUT))
            .attributes()
            .get(QueueAttributeName.VISIBILITY_TIMEOUT));
  }
}
