package dev.klambda.auth;

import java.nio.ByteBuffer;
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

  /**
   * The body as it arrived, in one or more parts: views of the server's buffers, not copies, valid
   * while the request is checked.
   */
  ByteBuffer[] bodyParts();

  default String header(String name) {
    List<String> values = headerValues(name);
    return values.isEmpty() ? null : values.get(0);
  }
}
