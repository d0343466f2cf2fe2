package dev.klambda.agent;

/** Init did not complete: the runtime or an extension failed, or it took too long. */
final class InitFailure extends RuntimeException {
  private final String errorType;
  private final String errorJson;

  InitFailure(String errorType, String errorMessage) {
    this(errorType, Json.error(errorType, errorMessage), true);
  }

  private InitFailure(String errorType, String errorJson, boolean ignored) {
    super(errorType + ": " + errorJson, null, false, false);
    this.errorType = errorType;
    this.errorJson = errorJson;
  }

  /** An error object the runtime or an extension posted itself; passed to the caller as is. */
  static InitFailure reported(String errorType, String errorJson) {
    return new InitFailure(errorType, errorJson, true);
  }

  String errorType() {
    return errorType;
  }

  String errorJson() {
    return errorJson;
  }
}
