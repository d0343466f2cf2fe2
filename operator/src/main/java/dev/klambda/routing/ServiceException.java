package dev.klambda.routing;

/**
 * An Invoke API error that is not the function's: answered with its HTTP status, its type in {@code
 * x-amzn-ErrorType} and the JSON body, so the AWS SDKs raise the matching exception.
 */
public final class ServiceException extends Exception {
  private final int status;
  private final String type;
  private final String reason;

  private ServiceException(int status, String type, String message, String reason) {
    super(message, null, false, false);
    this.status = status;
    this.type = type;
    this.reason = reason;
  }

  /** Not authenticated or not allowed: the refusal's status, code and message. */
  public static ServiceException refused(dev.klambda.auth.Refusal refusal) {
    return new ServiceException(refusal.status(), refusal.type(), refusal.getMessage(), null);
  }

  public static ServiceException functionNotFound(String arn) {
    return new ServiceException(
        404, "ResourceNotFoundException", "Function not found: " + arn, null);
  }

  /**
   * What the service sends for an oversize request: {@code RequestEntityTooLargeException}, though
   * the API reference names {@code RequestTooLargeException} (the SDKs then raise their generic
   * service exception with this code and status 413).
   */
  public static ServiceException tooLarge(int limit) {
    return new ServiceException(
        413,
        "RequestEntityTooLargeException",
        "Request must be smaller than " + limit + " bytes for the InvokeFunction operation",
        null);
  }

  public static ServiceException invalidContent(String detail) {
    return new ServiceException(
        400,
        "InvalidRequestContentException",
        "Could not parse request body into json: " + detail,
        null);
  }

  public static ServiceException invalidParameter(String message) {
    return new ServiceException(400, "InvalidParameterValueException", message, null);
  }

  /**
   * At the concurrency limit (after waiting in the queue), with Lambda's reason for the limit that
   * was hit: the function's reserved concurrency, or the account-wide limit.
   */
  public static ServiceException throttled(boolean reservedConcurrency) {
    return new ServiceException(
        429,
        "TooManyRequestsException",
        "Rate Exceeded.",
        reservedConcurrency
            ? "ReservedFunctionConcurrentInvocationLimitExceeded"
            : "ConcurrentInvocationLimitExceeded");
  }

  /**
   * A Lambda API operation klambda leaves to Kubernetes (a write): 400, saying where it is done.
   */
  public static ServiceException unsupported(String message) {
    return new ServiceException(400, "InvalidRequestContentException", message, null);
  }

  public static ServiceException unknownOperation(String method, String path) {
    return new ServiceException(
        404, "UnknownOperationException", "No operation at " + method + " " + path, null);
  }

  /** The function changed or went away while the request waited: look it up again. */
  static ServiceException retired(String key) {
    return new ServiceException(
        503, "ServiceException", "Function " + key + " was updated", "Retired");
  }

  boolean retired() {
    return "Retired".equals(reason);
  }

  /**
   * Between gateway replicas only: a forwarded invocation reached a replica that does not route the
   * function (ownership moved meanwhile); the sender asks again.
   */
  static ServiceException notOwner(String key) {
    return new ServiceException(
        503, "ServiceException", "This gateway does not route " + key, "NotOwner");
  }

  boolean notOwner() {
    return "NotOwner".equals(reason);
  }

  /**
   * An error a gateway answered over HTTP (another replica, or the gateway the operator's pollers
   * invoke through), passed on as it came.
   */
  public static ServiceException fromResponse(int status, String errorTypeHeader, byte[] body) {
    String type = errorTypeHeader != null ? errorTypeHeader : "ServiceException";
    try {
      com.fasterxml.jackson.databind.JsonNode json =
          new com.fasterxml.jackson.databind.ObjectMapper().readTree(body);
      return new ServiceException(
          status,
          type,
          json.path("message").asText(),
          json.hasNonNull("Reason") ? json.get("Reason").asText() : null);
    } catch (java.io.IOException | RuntimeException notJson) {
      return new ServiceException(
          status, type, new String(body, java.nio.charset.StandardCharsets.UTF_8), null);
    }
  }

  /** The environment went away while it ran the invocation, which may have run: not retried. */
  public static ServiceException environmentLost(Throwable cause) {
    return service("The execution environment was lost during the invocation: " + cause);
  }

  public static ServiceException service(String message) {
    return new ServiceException(500, "ServiceException", message, null);
  }

  public int status() {
    return status;
  }

  public String type() {
    return type;
  }

  /** Lambda's {@code Reason} field (throttling), or null. */
  public String reason() {
    return reason;
  }

  /** Who is to blame, as Lambda's error bodies say: the caller (4xx) or the service (5xx). */
  public String blame() {
    return status >= 500 ? "Service" : "User";
  }
}
