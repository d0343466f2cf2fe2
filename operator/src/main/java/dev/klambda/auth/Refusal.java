package dev.klambda.auth;

/**
 * A request that may not invoke: the status and error code that Lambda and the AWS SDKs use, and a
 * message that says what to fix. It never says whether a function the caller may not invoke exists.
 */
public final class Refusal extends Exception {
  /** Why, as counted in {@code klambda_auth_refusals_total{reason}}. */
  public enum Reason {
    MISSING_CREDENTIALS,
    MALFORMED,
    UNKNOWN_KEY,
    BAD_SIGNATURE,
    EXPIRED,
    BAD_TOKEN,
    DENIED,
    UNAVAILABLE;

    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  private final Reason reason;
  private final int status;
  private final String type;

  Refusal(Reason reason, int status, String type, String message) {
    super(message, null, false, false);
    this.reason = reason;
    this.status = status;
    this.type = type;
  }

  static Refusal missing() {
    return new Refusal(
        Reason.MISSING_CREDENTIALS,
        403,
        "MissingAuthenticationTokenException",
        "Missing Authentication Token: sign the request with AWS SigV4 (an access key from a Secret of type "
            + AccessKey.SECRET_TYPE
            + ") or send 'Authorization: Bearer <token>' with a Kubernetes "
            + "ServiceAccount token");
  }

  static Refusal malformed(String message) {
    return new Refusal(Reason.MALFORMED, 400, "IncompleteSignatureException", message);
  }

  static Refusal unknownKey(String accessKeyId) {
    return new Refusal(
        Reason.UNKNOWN_KEY,
        403,
        "UnrecognizedClientException",
        "The security token included in the request is invalid: no Secret of type "
            + AccessKey.SECRET_TYPE
            + " holds the access key "
            + accessKeyId);
  }

  static Refusal temporaryCredentials() {
    return new Refusal(
        Reason.UNKNOWN_KEY,
        403,
        "UnrecognizedClientException",
        "The security token included in the request is invalid: klambda has no temporary credentials "
            + "(X-Amz-Security-Token); use a long-term access key from a Secret of type "
            + AccessKey.SECRET_TYPE);
  }

  static Refusal badSignature(String message) {
    return new Refusal(Reason.BAD_SIGNATURE, 403, "InvalidSignatureException", message);
  }

  static Refusal expired(String message) {
    return new Refusal(Reason.EXPIRED, 403, "InvalidSignatureException", message);
  }

  static Refusal badToken(String why) {
    return new Refusal(
        Reason.BAD_TOKEN,
        403,
        "UnrecognizedClientException",
        "The security token included in the request is invalid: " + why);
  }

  static Refusal denied(String who, Action action, String arn, String namespace, String name) {
    return new Refusal(
        Reason.DENIED,
        403,
        "AccessDeniedException",
        "User: "
            + who
            + " is not authorized to perform: "
            + action.operation()
            + " on resource: "
            + arn
            + " because no RBAC rule grants verb '"
            + action.verb()
            + "' on functions.klambda.dev"
            + (name == null ? "" : " '" + name + "'")
            + " in namespace '"
            + namespace
            + "'");
  }

  static Refusal unavailable(String message) {
    return new Refusal(Reason.UNAVAILABLE, 500, "ServiceException", message);
  }

  public Reason reason() {
    return reason;
  }

  public int status() {
    return status;
  }

  /** Lambda's error code, for {@code x-amzn-ErrorType}. */
  public String type() {
    return type;
  }
}
