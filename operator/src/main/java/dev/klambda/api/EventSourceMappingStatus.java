package dev.klambda.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** What the mapping's poller is doing, written by the operator only. */
public class EventSourceMappingStatus extends ObservedStatus {
  @JsonPropertyDescription("Creating, Enabled, Disabling, Disabled or Failed.")
  private String state;

  @JsonPropertyDescription("The last batch's result: OK, PROBLEM: <why>, or No records processed.")
  private String lastProcessingResult;

  @JsonPropertyDescription(
      "Record counts since the mapping was created, carried over operator restarts and failovers (what a crashed process counted after its last status write is missing).")
  private MappingCounts counts;

  public String getState() {
    return state;
  }

  public void setState(String state) {
    this.state = state;
  }

  public String getLastProcessingResult() {
    return lastProcessingResult;
  }

  public void setLastProcessingResult(String lastProcessingResult) {
    this.lastProcessingResult = lastProcessingResult;
  }

  public MappingCounts getCounts() {
    return counts;
  }

  public void setCounts(MappingCounts counts) {
    this.counts = counts;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof EventSourceMappingStatus other
        && java.util.Objects.equals(state, other.state)
        && java.util.Objects.equals(lastProcessingResult, other.lastProcessingResult)
        && java.util.Objects.equals(counts, other.counts)
        && sameObservation(other);
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(state, lastProcessingResult, counts, observationHash());
  }
}
