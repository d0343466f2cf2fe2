package dev.klambda.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/**
 * What a function has used and cost, rolled up by the operator; exact integer units where it
 * counts.
 */
public class FunctionUsage {
  @JsonPropertyDescription("Invocations that ran (successful or not).")
  private long invocations;

  @JsonPropertyDescription("Invocations that ended in a function error, a timeout or a crash.")
  private long errors;

  @JsonPropertyDescription("Invocations refused with 429 (over the concurrency limit).")
  private long throttles;

  @JsonPropertyDescription(
      "Billed duration in milliseconds (each invocation rounded up to the billing granularity).")
  private long billedMilliseconds;

  @JsonPropertyDescription(
      "Compute in megabyte-milliseconds (memory MB x billed ms), the exact ledger unit.")
  private long megabyteMilliseconds;

  @JsonPropertyDescription(
      "Compute in GB-seconds (megabyteMilliseconds / 1,024,000), as an exact decimal.")
  private String gbSeconds;

  @JsonPropertyDescription(
      "Estimated cost at the operator's prices (USD by default), as a decimal.")
  private String estimatedCost;

  @JsonPropertyDescription("When metering of this function started.")
  private String since;

  public long getInvocations() {
    return invocations;
  }

  public void setInvocations(long invocations) {
    this.invocations = invocations;
  }

  public long getErrors() {
    return errors;
  }

  public void setErrors(long errors) {
    this.errors = errors;
  }

  public long getThrottles() {
    return throttles;
  }

  public void setThrottles(long throttles) {
    this.throttles = throttles;
  }

  public long getBilledMilliseconds() {
    return billedMilliseconds;
  }

  public void setBilledMilliseconds(long billedMilliseconds) {
    this.billedMilliseconds = billedMilliseconds;
  }

  public long getMegabyteMilliseconds() {
    return megabyteMilliseconds;
  }

  public void setMegabyteMilliseconds(long megabyteMilliseconds) {
    this.megabyteMilliseconds = megabyteMilliseconds;
  }

  public String getGbSeconds() {
    return gbSeconds;
  }

  public void setGbSeconds(String gbSeconds) {
    this.gbSeconds = gbSeconds;
  }

  public String getEstimatedCost() {
    return estimatedCost;
  }

  public void setEstimatedCost(String estimatedCost) {
    this.estimatedCost = estimatedCost;
  }

  public String getSince() {
    return since;
  }

  public void setSince(String since) {
    this.since = since;
  }
}
