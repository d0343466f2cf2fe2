package dev.klambda.metering;

import java.time.Instant;

/**
 * A function's metered totals in exact integer units since {@code since}.
 *
 * @param megabyteMillis compute: memory MB × billed ms, summed (GB-s = this / 1,024,000)
 */
public record Usage(
    long invocations,
    long errors,
    long throttles,
    long billedMillis,
    long megabyteMillis,
    Instant since) {

  public static Usage none(Instant since) {
    return new Usage(0, 0, 0, 0, 0, since);
  }

  /** This usage and {@code more}'s counts; the earlier {@code since} of the two. */
  public Usage plus(Usage more) {
    return plus(
            more.invocations, more.errors, more.throttles, more.billedMillis, more.megabyteMillis)
        .since(since.isBefore(more.since) ? since : more.since);
  }

  /** The counts added since {@code earlier} was taken of the same account. */
  public Usage minus(Usage earlier) {
    return new Usage(
        invocations - earlier.invocations,
        errors - earlier.errors,
        throttles - earlier.throttles,
        billedMillis - earlier.billedMillis,
        megabyteMillis - earlier.megabyteMillis,
        since);
  }

  public boolean isZero() {
    return invocations == 0
        && errors == 0
        && throttles == 0
        && billedMillis == 0
        && megabyteMillis == 0;
  }

  private Usage since(Instant when) {
    return new Usage(invocations, errors, throttles, billedMillis, megabyteMillis, when);
  }

  public Usage plus(
      long invocations, long errors, long throttles, long billedMillis, long megabyteMillis) {
    return new Usage(
        Math.addExact(this.invocations, invocations),
        Math.addExact(this.errors, errors),
        Math.addExact(this.throttles, throttles),
        Math.addExact(this.billedMillis, billedMillis),
        Math.addExact(this.megabyteMillis, megabyteMillis),
        since);
  }
}
