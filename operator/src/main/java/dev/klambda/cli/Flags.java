package dev.klambda.cli;

import java.math.BigDecimal;

/** The checks picocli leaves to us: ranges and signs, with the flag's name in the message. */
final class Flags {
  private Flags() {}

  static int range(String flag, int value, int min, int max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(
          flag + " must be a number from " + min + " to " + max + " (got " + value + ")");
    }
    return value;
  }

  static BigDecimal notNegative(String flag, BigDecimal value) {
    if (value.signum() < 0) {
      throw new IllegalArgumentException(
          flag + " must be a decimal number of at least 0 (got " + value + ")");
    }
    return value;
  }
}
