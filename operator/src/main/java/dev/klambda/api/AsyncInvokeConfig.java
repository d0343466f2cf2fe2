package dev.klambda.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;

/**
 * Lambda's asynchronous invocation configuration (PutFunctionEventInvokeConfig): how Events are
 * retried, and where their invocation records go.
 */
public class AsyncInvokeConfig {
  @JsonPropertyDescription(
      "Retries of an Event invocation that returned a function error, 0-2 (default 2, "
          + "as Lambda).")
  @Min(0)
  @Max(2)
  private Integer maximumRetryAttempts;

  @JsonPropertyDescription(
      "How long an Event is kept and retried before it is dropped, 60-21600 seconds "
          + "(default 21600: six hours, as Lambda).")
  @Min(60)
  @Max(21600)
  private Integer maximumEventAgeInSeconds;

  @JsonPropertyDescription(
      "Where Events' invocation records go: onSuccess after an Event succeeded, onFailure "
          + "when one is dropped. Each names exactly one of sqs, kafka and function.")
  private EventDestinationConfig destinationConfig;

  public Integer getMaximumRetryAttempts() {
    return maximumRetryAttempts;
  }

  public void setMaximumRetryAttempts(Integer maximumRetryAttempts) {
    this.maximumRetryAttempts = maximumRetryAttempts;
  }

  public Integer getMaximumEventAgeInSeconds() {
    return maximumEventAgeInSeconds;
  }

  public void setMaximumEventAgeInSeconds(Integer maximumEventAgeInSeconds) {
    this.maximumEventAgeInSeconds = maximumEventAgeInSeconds;
  }

  public EventDestinationConfig getDestinationConfig() {
    return destinationConfig;
  }

  public void setDestinationConfig(EventDestinationConfig destinationConfig) {
    this.destinationConfig = destinationConfig;
  }
}
