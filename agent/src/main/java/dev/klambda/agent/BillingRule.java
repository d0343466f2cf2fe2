package dev.klambda.agent;

import java.util.Map;

/**
 * How an invocation's billed duration follows from its measurements: rounded up to a multiple of
 * the granularity, Init included or not, at least one granule. One rule for the agent's REPORT line
 * and the gateway's meters (public: the gateway's billing uses it, and passes it to the agent in
 * {@link #GRANULARITY_VARIABLE} and {@link #BILL_INIT_VARIABLE}).
 *
 * @param granularityMillis AWS: 1 ms (100 ms until December 2020)
 * @param billsInit AWS bills the Init of cold starts since August 2025
 */
public record BillingRule(long granularityMillis, boolean billsInit) {
  /** AWS's rule; constants, so that flags can name them as their defaults. */
  public static final int AWS_GRANULARITY_MILLIS = 1;

  public static final boolean AWS_BILLS_INIT = true;
  public static final BillingRule AWS = new BillingRule(AWS_GRANULARITY_MILLIS, AWS_BILLS_INIT);
  public static final String GRANULARITY_VARIABLE = "KLAMBDA_BILLING_GRANULARITY_MS";
  public static final String BILL_INIT_VARIABLE = "KLAMBDA_BILL_INIT";

  public BillingRule {
    if (granularityMillis < 1) {
      throw new IllegalArgumentException(
          "billing granularity must be at least 1 ms (got " + granularityMillis + ")");
    }
  }

  /** Billed milliseconds of one invocation, from its durations in microseconds. */
  public long billedMillis(long durationMicros, long initDurationMicros) {
    long micros = Math.max(0, durationMicros) + (billsInit ? Math.max(0, initDurationMicros) : 0);
    long granularityMicros = granularityMillis * 1000;
    long units = (micros + granularityMicros - 1) / granularityMicros;
    return Math.max(1, units) * granularityMillis;
  }

  /** The rule as the agent's variables. */
  public void addTo(Map<String, String> env) {
    env.put(GRANULARITY_VARIABLE, Long.toString(granularityMillis));
    env.put(BILL_INIT_VARIABLE, Boolean.toString(billsInit));
  }

  /** The rule the gateway gave the agent; AWS's where it gave none (a test's agent). */
  static BillingRule fromEnvironment(Map<String, String> env) {
    String granularity = env.get(GRANULARITY_VARIABLE);
    String billInit = env.get(BILL_INIT_VARIABLE);
    try {
      return new BillingRule(
          granularity == null ? AWS.granularityMillis : Long.parseLong(granularity.trim()),
          billInit == null ? AWS.billsInit : Boolean.parseBoolean(billInit.trim()));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          GRANULARITY_VARIABLE
              + " must be a whole number of milliseconds (got '"
              + granularity
              + "')");
    }
  }
}
