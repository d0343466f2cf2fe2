package dev.klambda.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** An SQS queue that invocation records are sent to. */
public class SqsDestination {
  @JsonPropertyDescription("The queue URL.")
  private String queueUrl;

  @JsonPropertyDescription(
      "Overrides the AWS endpoint, for any SQS-compatible server (e.g. http://elasticmq:9324).")
  private String endpoint;

  @JsonPropertyDescription("The queue's region (default: klambda's --region).")
  private String region;

  @JsonPropertyDescription(
      "A Function's destination only: a Secret with the keys accessKeyId and "
          + "secretAccessKey (and optionally sessionToken) to send with. Without it the AWS default credential "
          + "chain of klambda's Pod applies (an EventSourceMapping's queue always uses it).")
  private SecretRef credentialsSecretRef;

  public String getQueueUrl() {
    return queueUrl;
  }

  public void setQueueUrl(String queueUrl) {
    this.queueUrl = queueUrl;
  }

  public String getEndpoint() {
    return endpoint;
  }

  public void setEndpoint(String endpoint) {
    this.endpoint = endpoint;
  }

  public String getRegion() {
    return region;
  }

  public void setRegion(String region) {
    this.region = region;
  }

  public SecretRef getCredentialsSecretRef() {
    return credentialsSecretRef;
  }

  public void setCredentialsSecretRef(SecretRef credentialsSecretRef) {
    this.credentialsSecretRef = credentialsSecretRef;
  }
}
