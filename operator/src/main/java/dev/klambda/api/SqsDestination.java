package dev.klambda.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** An SQS queue for failed records. */
public class SqsDestination {
  @JsonPropertyDescription("The queue URL.")
  private String queueUrl;

  @JsonPropertyDescription("Overrides the AWS endpoint.")
  private String endpoint;

  @JsonPropertyDescription("The queue's region.")
  private String region;

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
}
