package dev.klambda.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.List;

/** Lambda's event filtering: only records matching one of the filters reach the function. */
public class FilterCriteria {
  @JsonPropertyDescription(
      "Up to 5 filters; a record is delivered when any one matches, otherwise it is "
          + "consumed without an invocation (counted in klambda_esm_events_filtered_total).")
  private List<EventFilter> filters;

  public List<EventFilter> getFilters() {
    return filters;
  }

  public void setFilters(List<EventFilter> filters) {
    this.filters = filters;
  }
}
