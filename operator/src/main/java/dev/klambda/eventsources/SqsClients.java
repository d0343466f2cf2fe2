package dev.klambda.eventsources;

import java.net.URI;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProviderChain;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsClient;

/** SQS clients for sources and destinations: the AWS default credential chain, an optional endpoint. */
final class SqsClients {
  private SqsClients() {}

  /**
   * @param endpoint any SQS-compatible server, or null for AWS; without AWS credentials the
   *     requests go unsigned, which SQS-compatible servers like ElasticMQ accept
   */
  static SqsClient of(String region, String endpoint) {
    var builder = SqsClient.builder()
        .region(Region.of(region))
        .httpClient(UrlConnectionHttpClient.builder().socketTimeout(java.time.Duration.ofSeconds(30)).build())
        .credentialsProvider(AwsCredentialsProviderChain.builder().credentialsProviders(
            DefaultCredentialsProvider.builder().build(), AnonymousCredentialsProvider.create()).build());
    if (endpoint != null && !endpoint.isBlank()) {
      builder.endpointOverride(URI.create(endpoint));
    }
    return builder.build();
  }
}
