package dev.klambda.auth;

import java.util.List;

/** What authentication reads of an HTTP request: as received, nothing decoded. */
public interface AuthRequest {
  String method();

  /** The path as sent, still percent-encoded. */
  String rawPath();

  /** The query as sent, or null. */
  String rawQuery();

  /** Every value of the header {@code name} (any case), in order; empty when absent. */
  List<String> headerValues(String name);

  byte[] body();

  default String header(String name) {
    List<String> values = headerValues(name);
    return values.isEmpty() ? null : values.get(0);
  }
}
