package dev.klambda.function;

import java.util.List;
import java.util.Locale;

/**
 * A function's URL configuration, validated: who may call ({@code iamAuth}: only callers the
 * gateway authenticates and RBAC allows, as {@code authType: AWS_IAM}; else anyone) and its CORS
 * rules, which the gateway applies as Lambda does (preflight answered without invoking the
 * function).
 */
public record FunctionUrl(
    boolean iamAuth,
    List<String> allowOrigins,
    List<String> allowMethods,
    List<String> allowHeaders,
    List<String> exposeHeaders,
    boolean allowCredentials,
    Integer maxAge) {

  /** No CORS rules: browsers from other origins get no Access-Control-* headers. */
  public static FunctionUrl noCors(boolean iamAuth) {
    return new FunctionUrl(iamAuth, List.of(), List.of(), List.of(), List.of(), false, null);
  }

  /**
   * The Access-Control-Allow-Origin value for a request from {@code origin}; null when not allowed.
   */
  public String allowedOrigin(String origin) {
    if (origin == null || allowOrigins.isEmpty()) {
      return null;
    }
    if (allowOrigins.contains("*")) {
      return allowCredentials ? origin : "*";
    }
    return allowOrigins.stream().anyMatch(o -> o.equalsIgnoreCase(origin)) ? origin : null;
  }

  public boolean allowsMethod(String method) {
    return allowMethods.contains("*")
        || allowMethods.stream().anyMatch(m -> m.equalsIgnoreCase(method));
  }

  /** Header names as a browser asks for them (lower case), the allowed ones. */
  public boolean allowsHeaders(List<String> requested) {
    return allowHeaders.contains("*")
        || requested.stream()
            .allMatch(
                h ->
                    allowHeaders.stream()
                        .anyMatch(
                            a ->
                                a.toLowerCase(Locale.ROOT)
                                    .equals(h.toLowerCase(Locale.ROOT).trim())));
  }
}
