package dev.klambda.metering;

import dev.klambda.agent.BillingRule;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * Lambda's billing arithmetic in integer units: billed duration in whole milliseconds (rounded up
 * to the granularity), compute as megabyte-milliseconds. A GB-second is 1,024 MB × 1,000 ms, so a
 * million 1 ms invocations of 128 MB are exactly 125 GB-s. Prices apply only when a cost is shown,
 * with decimal arithmetic.
 *
 * @param granularityMillis billed duration is a multiple of this (AWS: 1 ms)
 * @param billInit whether a cold start's Init is billed (AWS bills it since August 2025)
 * @param pricePerGbSecond AWS x86: 0.0000166667 USD
 * @param pricePerMillionRequests AWS: 0.20 USD
 */
public record Billing(
    BillingRule rule, BigDecimal pricePerGbSecond, BigDecimal pricePerMillionRequests) {
  /** AWS's x86 list prices, USD. */
  public static final String AWS_PRICE_PER_GB_SECOND = "0.0000166667";

  public static final String AWS_PRICE_PER_MILLION_REQUESTS = "0.20";
  public static final Billing AWS =
      new Billing(
          BillingRule.AWS,
          new BigDecimal(AWS_PRICE_PER_GB_SECOND),
          new BigDecimal(AWS_PRICE_PER_MILLION_REQUESTS));
  private static final long MB_MS_PER_GB_SECOND = 1024L * 1000L;

  public Billing {
    if (pricePerGbSecond.signum() < 0 || pricePerMillionRequests.signum() < 0) {
      throw new IllegalArgumentException("prices must not be negative");
    }
  }

  /**
   * @param granularityMillis and {@code billInit}: the {@link BillingRule}, which checks them
   */
  public Billing(
      long granularityMillis,
      boolean billInit,
      BigDecimal pricePerGbSecond,
      BigDecimal pricePerMillionRequests) {
    this(new BillingRule(granularityMillis, billInit), pricePerGbSecond, pricePerMillionRequests);
  }

  /** Billed milliseconds of one invocation, from the agent's measurements in microseconds. */
  public long billedMillis(long durationMicros, long initDurationMicros) {
    return rule.billedMillis(durationMicros, initDurationMicros);
  }

  /** Compute of one invocation in MB-ms; fails rather than overflow. */
  public static long megabyteMillis(int memoryMB, long billedMillis) {
    return Math.multiplyExact((long) memoryMB, billedMillis);
  }

  /** Exact GB-seconds of a number of MB-ms. */
  public static BigDecimal gbSeconds(long megabyteMillis) {
    return new BigDecimal(megabyteMillis)
        .divide(new BigDecimal(MB_MS_PER_GB_SECOND), MathContext.DECIMAL128)
        .stripTrailingZeros();
  }

  /**
   * Estimated cost in USD: compute at the GB-second price plus requests at the per-million price.
   */
  public BigDecimal cost(long megabyteMillis, long requests) {
    return gbSeconds(megabyteMillis)
        .multiply(pricePerGbSecond)
        .add(new BigDecimal(requests).multiply(pricePerMillionRequests).movePointLeft(6))
        .setScale(10, RoundingMode.HALF_UP)
        .stripTrailingZeros();
  }
}
