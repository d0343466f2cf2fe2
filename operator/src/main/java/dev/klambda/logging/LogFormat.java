package dev.klambda.logging;

/** How log lines are written ({@code --log-format}). */
public enum LogFormat {
  /**
   * One line of text per event, as slf4j-simple wrote them: {@code [thread] LEVEL logger -
   * message}.
   */
  PLAIN,
  /**
   * One JSON object per line, for log pipelines: level, logger, message, timestamp, thread, MDC,
   * key-values.
   */
  JSON;

  public static LogFormat parse(String option, String value) {
    return switch (value) {
      case "plain" -> PLAIN;
      case "json" -> JSON;
      default ->
          throw new IllegalArgumentException(
              option + " must be plain or json (got '" + value + "')");
    };
  }
}
