package dev.klambda.environments;

/**
 * The environment did not take the invocation (it is shutting down, or its agent is gone before the
 * request reached it): the invocation did not run and may go to another environment.
 */
public final class EnvironmentUnavailableException extends Exception {
  public EnvironmentUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
