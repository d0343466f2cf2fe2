package dev.klambda.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/** What a mapping's poller did since the operator process serving it started polling. */
public class MappingCounts {
  @JsonPropertyDescription("Records read from the source.")
  private long polled;

  @JsonPropertyDescription("Records no filter matched: consumed without an invocation.")
  private long filtered;

  @JsonPropertyDescription("Records handed to the function (a retried record counts again).")
  private long invoked;

  @JsonPropertyDescription("Records the function failed on.")
  private long failed;

  @JsonPropertyDescription("Records sent to the on-failure destination.")
  private long sentToDestination;

  @JsonPropertyDescription("Invocations with a batch.")
  private long batches;

  @JsonPropertyDescription(
      "SQS messages the queue did not delete, after retries (each is logged): they come back "
          + "after their visibility timeout and are handled again.")
  private long deleteFailures;

  public MappingCounts() {}

  public MappingCounts(
      long polled,
      long filtered,
      long invoked,
      long failed,
      long sentToDestination,
      long batches,
      long deleteFailures) {
    this.polled = polled;
    this.filtered = filtered;
    this.invoked = invoked;
    this.failed = failed;
    this.sentToDestination = sentToDestination;
    this.batches = batches;
    this.deleteFailures = deleteFailures;
  }

  public long getPolled() {
    return polled;
  }

  public void setPolled(long polled) {
    this.polled = polled;
  }

  public long getFiltered() {
    return filtered;
  }

  public void setFiltered(long filtered) {
    this.filtered = filtered;
  }

  public long getInvoked() {
    return invoked;
  }

  public void setInvoked(long invoked) {
    this.invoked = invoked;
  }

  public long getFailed() {
    return failed;
  }

  public void setFailed(long failed) {
    this.failed = failed;
  }

  public long getSentToDestination() {
    return sentToDestination;
  }

  public void setSentToDestination(long sentToDestination) {
    this.sentToDestination = sentToDestination;
  }

  public long getBatches() {
    return batches;
  }

  public void setBatches(long batches) {
    this.batches = batches;
  }

  public long getDeleteFailures() {
    return deleteFailures;
  }

  public void setDeleteFailures(long deleteFailures) {
    this.deleteFailures = deleteFailures;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof MappingCounts other
        && polled == other.polled
        && filtered == other.filtered
        && invoked == other.invoked
        && failed == other.failed
        && sentToDestination == other.sentToDestination
        && batches == other.batches
        && deleteFailures == other.deleteFailures;
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        polled, filtered, invoked, failed, sentToDestination, batches, deleteFailures);
  }
}
