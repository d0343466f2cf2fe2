package dev.klambda.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** A schedule expression, as in EventBridge Scheduler. */
public class ScheduleSource {
  @JsonPropertyDescription("rate(5 minutes) or cron(0 12 * * ? *).")
  private String expression;

  @JsonPropertyDescription("The JSON event each invocation gets (default: a scheduled event).")
  private String input;

  @JsonPropertyDescription("Time zone of cron expressions (default UTC).")
  private String timezone;

  public String getExpression() {
    return expression;
  }

  public void setExpression(String expression) {
    this.expression = expression;
  }

  public String getInput() {
    return input;
  }

  public void setInput(String input) {
    this.input = input;
  }

  public String getTimezone() {
    return timezone;
  }

  public void setTimezone(String timezone) {
    this.timezone = timezone;
  }
}
