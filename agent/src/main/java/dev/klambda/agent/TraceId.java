package dev.klambda.agent;

import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/** X-Ray style trace header values, for invocations that arrive without one. */
final class TraceId {
  private TraceId() {}

  static String newRoot() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    HexFormat hex = HexFormat.of();
    return "Root=1-"
        + Long.toHexString(System.currentTimeMillis() / 1000)
        + "-"
        + hex.toHexDigits(random.nextInt())
        + hex.toHexDigits(random.nextLong())
        + ";Parent="
        + hex.toHexDigits(random.nextLong())
        + ";Sampled=0";
  }
}
