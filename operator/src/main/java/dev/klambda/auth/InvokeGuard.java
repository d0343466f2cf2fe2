package dev.klambda.auth;

import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who may invoke what: the caller authenticated by a Kubernetes bearer token (TokenReview) or an
 * AWS SigV4 signature (an access key from a Secret, acting as its ServiceAccount), then authorized
 * for the function by {@link Permissions}. With no methods ({@code --auth none}) everyone may.
 * Refusals come before any question of whether the function exists, so a function the caller may
 * not invoke and one that does not exist are refused alike.
 */
public final class InvokeGuard {
  private static final Logger LOG = LoggerFactory.getLogger(InvokeGuard.class);
  public static final Identity ANONYMOUS =
      new Identity(
          "system:anonymous",
          null,
          java.util.List.of(),
          java.util.Map.of(),
          "anonymous (--auth none)");

  private final Set<AuthMethods> methods;
  private final SigV4 sigV4;
  private final BearerTokens tokens;
  private final Permissions permissions;
  private final Consumer<Refusal.Reason> refused;
  private final boolean audits;

  /**
   * @param tokens null where bearer tokens are not accepted
   */
  public InvokeGuard(
      Set<AuthMethods> methods, SigV4 sigV4, BearerTokens tokens, Permissions permissions) {
    this(methods, sigV4, tokens, permissions, reason -> {}, false);
  }

  private InvokeGuard(
      Set<AuthMethods> methods,
      SigV4 sigV4,
      BearerTokens tokens,
      Permissions permissions,
      Consumer<Refusal.Reason> refused,
      boolean audits) {
    this.methods = Set.copyOf(methods);
    this.sigV4 = sigV4;
    this.tokens = tokens;
    this.permissions = permissions;
    this.refused = refused;
    this.audits = audits;
  }

  /** Everyone may invoke everything. */
  public static InvokeGuard open() {
    return new InvokeGuard(Set.of(), null, null, null);
  }

  /**
   * This guard, telling {@code refused} the reason of every refusal (the metrics), and asking for
   * an audit line per invocation when {@code audits}.
   */
  public InvokeGuard observed(Consumer<Refusal.Reason> refused, boolean audits) {
    return new InvokeGuard(methods, sigV4, tokens, permissions, refused, audits);
  }

  /** Whether each invocation gets an audit line (caller, function, status). */
  public boolean audits() {
    return audits;
  }

  public boolean isOpen() {
    return methods.isEmpty();
  }

  public Set<AuthMethods> methods() {
    return methods;
  }

  /**
   * The caller if it may invoke the function, decided without waiting; null when deciding needs the
   * API server (call {@link #check} off the event loop).
   */
  public Identity checkNow(AuthRequest request, String namespace, String name, String arn)
      throws Refusal {
    return check(request, Action.INVOKE, namespace, name, arn, false);
  }

  /** The caller if it may invoke the function; may ask the API server (blocking). */
  public Identity check(AuthRequest request, String namespace, String name, String arn)
      throws Refusal {
    return check(request, Action.INVOKE, namespace, name, arn, true);
  }

  /**
   * The caller, authenticated (blocking): for a request that asks about many namespaces (a
   * listing).
   */
  public Identity caller(AuthRequest request) throws Refusal {
    if (methods.isEmpty()) {
      return ANONYMOUS;
    }
    try {
      return authenticate(request, true);
    } catch (Refusal refusal) {
      refused.accept(refusal.reason());
      throw refusal;
    }
  }

  /**
   * Whether {@code who} may do {@code action} with the functions of {@code namespace} (blocking).
   */
  public boolean allows(Identity who, Action action, String namespace) throws Refusal {
    return methods.isEmpty() || permissions.allows(who, action, namespace, null);
  }

  /**
   * The caller if it may do {@code action} with the function; null when deciding needs the API
   * server and {@code mayWait} is false (else it asks, blocking).
   */
  public Identity check(
      AuthRequest request,
      Action action,
      String namespace,
      String name,
      String arn,
      boolean mayWait)
      throws Refusal {
    if (methods.isEmpty()) {
      return ANONYMOUS;
    }
    try {
      return decideOrRefuse(request, action, namespace, name, arn, mayWait);
    } catch (Refusal refusal) {
      refused.accept(refusal.reason());
      throw refusal;
    }
  }

  private Identity decideOrRefuse(
      AuthRequest request,
      Action action,
      String namespace,
      String name,
      String arn,
      boolean mayWait)
      throws Refusal {
    Identity who = authenticate(request, mayWait);
    if (who == null) {
      return null;
    }
    Boolean allowed =
        mayWait
            ? Boolean.valueOf(permissions.allows(who, action, namespace, name))
            : permissions.known(who, action, namespace, name);
    if (allowed == null) {
      return null;
    }
    if (!allowed) {
      LOG.debug("function {}/{}: {} may not {}", namespace, name, who.display(), action.verb());
      throw Refusal.denied(who.display(), action, arn, namespace, name);
    }
    return who;
  }

  private Identity authenticate(AuthRequest request, boolean mayWait) throws Refusal {
    String authorization = request.header("Authorization");
    if (authorization == null || authorization.isBlank()) {
      String query = request.rawQuery();
      if (query != null && query.contains("X-Amz-Signature=")) {
        throw Refusal.malformed(
            "Presigned requests (X-Amz-Signature in the query) are not accepted: sign the "
                + "Authorization header");
      }
      throw Refusal.missing();
    }
    if (SigV4.signs(request)) {
      if (!methods.contains(AuthMethods.SIGV4)) {
        throw Refusal.malformed(
            "This gateway does not accept AWS SigV4 (--auth "
                + AuthMethods.describe(methods)
                + "): send 'Authorization: Bearer <token>' with a Kubernetes ServiceAccount token");
      }
      return sigV4.verify(request).identity();
    }
    if (authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      if (!methods.contains(AuthMethods.KUBERNETES)) {
        throw Refusal.malformed(
            "This gateway does not accept bearer tokens (--auth "
                + AuthMethods.describe(methods)
                + "): sign the request with AWS SigV4");
      }
      String token = authorization.substring(7).trim();
      return mayWait ? tokens.review(token) : tokens.known(token);
    }
    throw Refusal.malformed(
        "Authorization must be AWS SigV4 ('"
            + SigV4.ALGORITHM
            + " Credential=..., SignedHeaders=..., Signature=...') or 'Bearer <Kubernetes token>'");
  }
}
