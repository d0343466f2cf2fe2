package dev.klambda.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import java.util.List;

/** Lambda's CreateEventSourceMapping fields, in camel case, plus where the events come from. */
public class EventSourceMappingSpec {
  @JsonPropertyDescription("The Function to invoke: its name in this namespace.")
  @Required
  private String functionName;

  @JsonPropertyDescription(
      "Whether the mapping polls (default true); disabling keeps the position.")
  @Default("true")
  private Boolean enabled;

  @JsonPropertyDescription(
      "Most records per invocation (SQS default 10, Kafka default 100, at most 10000).")
  @Min(1)
  @Max(10000)
  private Integer batchSize;

  @JsonPropertyDescription(
      "How long to gather records before invoking with fewer than batchSize, 0-300 s.")
  @Min(0)
  @Max(300)
  private Integer maximumBatchingWindowSeconds;

  @JsonPropertyDescription(
      "Kafka: where a new consumer group starts, LATEST or TRIM_HORIZON (default LATEST).")
  @Pattern("^(LATEST|TRIM_HORIZON)$")
  private String startingPosition;

  @JsonPropertyDescription(
      "ReportBatchItemFailures: the function returns {\"batchItemFailures\":[{\"itemIdentifier\":...}]} "
          + "and only those records are retried.")
  private List<String> functionResponseTypes;

  @JsonPropertyDescription(
      "Retries of a failing batch before it goes to the on-failure destination "
          + "(-1: until the record expires).")
  @Min(-1)
  @Max(10000)
  private Integer maximumRetryAttempts;

  @JsonPropertyDescription("Split a failing batch in two and retry the halves separately.")
  private Boolean bisectBatchOnFunctionError;

  @JsonPropertyDescription(
      "Records older than this go to the on-failure destination (-1: no limit).")
  @Min(-1)
  @Max(604800)
  private Integer maximumRecordAgeSeconds;

  @JsonPropertyDescription("Most concurrent invocations of this mapping (2-1000).")
  @Min(2)
  @Max(1000)
  private Integer maximumConcurrency;

  @JsonPropertyDescription("Only records matching one of these filters are delivered.")
  private FilterCriteria filterCriteria;

  @JsonPropertyDescription("Where records go that failed all retries.")
  private DestinationConfig destinationConfig;

  @JsonPropertyDescription("Where events come from: exactly one of sqs, kafka and schedule.")
  @Required
  private EventSource source;

  public String getFunctionName() {
    return functionName;
  }

  public void setFunctionName(String functionName) {
    this.functionName = functionName;
  }

  public Boolean getEnabled() {
    return enabled;
  }

  public void setEnabled(Boolean enabled) {
    this.enabled = enabled;
  }

  public Integer getBatchSize() {
    return batchSize;
  }

  public void setBatchSize(Integer batchSize) {
    this.batchSize = batchSize;
  }

  public Integer getMaximumBatchingWindowSeconds() {
    return maximumBatchingWindowSeconds;
  }

  public void setMaximumBatchingWindowSeconds(Integer maximumBatchingWindowSeconds) {
    this.maximumBatchingWindowSeconds = maximumBatchingWindowSeconds;
  }

  public String getStartingPosition() {
    return startingPosition;
  }

  public void setStartingPosition(String startingPosition) {
    this.startingPosition = startingPosition;
  }

  public List<String> getFunctionResponseTypes() {
    return functionResponseTypes;
  }

  public void setFunctionResponseTypes(List<String> functionResponseTypes) {
    this.functionResponseTypes = functionResponseTypes;
  }

  public Integer getMaximumRetryAttempts() {
    return maximumRetryAttempts;
  }

  public void setMaximumRetryAttempts(Integer maximumRetryAttempts) {
    this.maximumRetryAttempts = maximumRetryAttempts;
  }

  public Boolean getBisectBatchOnFunctionError() {
    return bisectBatchOnFunctionError;
  }

  public void setBisectBatchOnFunctionError(Boolean bisectBatchOnFunctionError) {
    this.bisectBatchOnFunctionError = bisectBatchOnFunctionError;
  }

  public Integer getMaximumRecordAgeSeconds() {
    return maximumRecordAgeSeconds;
  }

  public void setMaximumRecordAgeSeconds(Integer maximumRecordAgeSeconds) {
    this.maximumRecordAgeSeconds = maximumRecordAgeSeconds;
  }

  public Integer getMaximumConcurrency() {
    return maximumConcurrency;
  }

  public void setMaximumConcurrency(Integer maximumConcurrency) {
    this.maximumConcurrency = maximumConcurrency;
  }

  public DestinationConfig getDestinationConfig() {
    return destinationConfig;
  }

  public void setDestinationConfig(DestinationConfig destinationConfig) {
    this.destinationConfig = destinationConfig;
  }

  public EventSource getSource() {
    return source;
  }

  public void setSource(EventSource source) {
    this.source = source;
  }

  public FilterCriteria getFilterCriteria() {
    return filterCriteria;
  }

  public void setFilterCriteria(FilterCriteria filterCriteria) {
    this.filterCriteria = filterCriteria;
  }
}
