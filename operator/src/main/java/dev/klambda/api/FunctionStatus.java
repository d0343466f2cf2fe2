package dev.klambda.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/** What the operator observed and did, written only by klambda. */
public class FunctionStatus extends ObservedStatus {
  @JsonPropertyDescription("Where to POST invocations (the AWS Lambda Invoke API).")
  private String invokeUrl;

  @JsonPropertyDescription(
      "The function URL (spec.url): any HTTP method and path below it invokes the function.")
  private String functionUrl;

  @JsonPropertyDescription("Execution environments right now.")
  private EnvironmentCounts environments = new EnvironmentCounts();

  @JsonPropertyDescription(
      "Usage and estimated cost since the function was created, rolled up "
          + "every few seconds and at operator shutdown.")
  private FunctionUsage usage;

  public String getInvokeUrl() {
    return invokeUrl;
  }

  public void setInvokeUrl(String invokeUrl) {
    this.invokeUrl = invokeUrl;
  }

  public String getFunctionUrl() {
    return functionUrl;
  }

  public void setFunctionUrl(String functionUrl) {
    this.functionUrl = functionUrl;
  }

  public FunctionUsage getUsage() {
    return usage;
  }

  public void setUsage(FunctionUsage usage) {
    this.usage = usage;
  }

  public EnvironmentCounts getEnvironments() {
    return environments;
  }

  public void setEnvironments(EnvironmentCounts environments) {
    this.environments = environments;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FunctionStatus other
        && sameObservation(other)
        && Objects.equals(invokeUrl, other.invokeUrl)
        && Objects.equals(functionUrl, other.functionUrl)
        && Objects.equals(environments, other.environments);
  }

  @Override
  public int hashCode() {
    return Objects.hash(observationHash(), invokeUrl, functionUrl, environments);
  }

  /** Environments by state. */
  public static class EnvironmentCounts {
    @JsonPropertyDescription("Starting: Init has not ended yet.")
    private int starting;

    @JsonPropertyDescription("Initialised and waiting for work.")
    private int idle;

    @JsonPropertyDescription("Running an invocation.")
    private int busy;

    @JsonPropertyDescription("All of them.")
    private int total;

    public EnvironmentCounts() {}

    public EnvironmentCounts(int starting, int idle, int busy) {
      this.starting = starting;
      this.idle = idle;
      this.busy = busy;
      this.total = starting + idle + busy;
    }

    public int getStarting() {
      return starting;
    }

    public void setStarting(int starting) {
      this.starting = starting;
    }

    public int getIdle() {
      return idle;
    }

    public void setIdle(int idle) {
      this.idle = idle;
    }

    public int getBusy() {
      return busy;
    }

    public void setBusy(int busy) {
      this.busy = busy;
    }

    public int getTotal() {
      return total;
    }

    public void setTotal(int total) {
      this.total = total;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof EnvironmentCounts other
          && starting == other.starting
          && idle == other.idle
          && busy == other.busy
          && total == other.total;
    }

    @Override
    public int hashCode() {
      return Objects.hash(starting, idle, busy, total);
    }
  }
}
