package dev.klambda.agent;

/**
 * Init did not complete: the runtime or an extension failed, or it took too long. An error the
 * runtime posted itself reaches the caller as it is; one the agent saw (an exit, a timeout, no
 * bootstrap) is worded as Lambda words it for the invocation that gets it: "RequestId: ID Error:
 * MESSAGE".
 */
final class InitFailure extends RuntimeException {
  private final String errorType;

  /** What the agent saw, or null when the runtime reported the error. */
  private final String message;

  /** The runtime's own error object, or null. */
  private final String reportedJson;

  InitFailure(String errorType, String message) {
    this(errorType, message, null);
  }

  private InitFailure(String errorType, String message, String reportedJson) {
    super(errorType + ": " + (message != null ? message : reportedJson), null, false, false);
    this.errorType = errorType;
    this.message = message;
    this.reportedJson = reportedJson;
  }

  /** An error object the runtime or an extension posted itself; passed to the caller as is. */
  static InitFailure reported(String errorType, String errorJson) {
    return new InitFailure(errorType, null, errorJson);
  }

  String errorType() {
    return errorType;
  }

  /** The error object of the invocation {@code requestId}, which found Init failed. */
  String errorJson(String requestId) {
    return reportedJson != null
        ? reportedJson
        : Json.error(errorType, "RequestId: " + requestId + " Error: " + message);
  }

  /** The error object outside an invocation (the readiness endpoint). */
  String errorJson() {
    return reportedJson != null ? reportedJson : Json.error(errorType, message);
  }
}
