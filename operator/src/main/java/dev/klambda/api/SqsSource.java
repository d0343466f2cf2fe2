package dev.klambda.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** An SQS queue; without credentialsSecretRef the AWS default credential chain applies. */
public class SqsSource {
  @JsonPropertyDescription(
      "The queue URL, e.g. https://sqs.us-east-1.amazonaws.com/123456789012/orders.")
  private String queueUrl;

  @JsonPropertyDescription("The queue's region (default: the operator's).")
  private String region;

  @JsonPropertyDescription(
      "Overrides the AWS endpoint, for any SQS-compatible server (e.g. http://elasticmq:9324).")
  private String endpoint;

  @JsonPropertyDescription(
      "A Secret with the keys accessKeyId and secretAccessKey (and optionally sessionToken).")
  private SecretRef credentialsSecretRef;

  public String getQueueUrl() {
    return queueUrl;
  }

  public void setQueueUrl(String queueUrl) {
    this.queueUrl = queueUrl;
  }

  public String getRegion() {
    return region;
  }

  public void setRegion(String region) {
    this.region = region;
  }

  public String getEndpoint() {
    return endpoint;
  }

  public void setEndpoint(String endpoint) {
    this.endpoint = endpoint;
  }

  public SecretRef getCredentialsSecretRef() {
    return credentialsSecretRef;
  }

  public void setCredentialsSecretRef(SecretRef credentialsSecretRef) {
    this.credentialsSecretRef = credentialsSecretRef;
  }
}
