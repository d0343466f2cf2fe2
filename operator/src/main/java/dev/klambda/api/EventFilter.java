package dev.klambda.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;

/** One filter of a mapping's filterCriteria. */
public class EventFilter {
  @JsonPropertyDescription(
      "An EventBridge event pattern as a JSON string, matched against the record as Lambda "
          + "presents it: SQS {\"body\": ...} (parsed when it is JSON), Kafka {\"value\": ...} (decoded, parsed when JSON). "
          + "Example: {\"body\": {\"type\": [\"order\"], \"amount\": [{\"numeric\": [\">\", 100]}]}}")
  @Required
  private String pattern;

  public String getPattern() {
    return pattern;
  }

  public void setPattern(String pattern) {
    this.pattern = pattern;
  }
}
