package dev.klambda.metering;

import java.time.Instant;

/**
 * A function's metered totals in exact integer units since {@code since}.
 *
 * @param megabyteMillis compute: memory MB × billed ms, summed (GB-s = this / 1,024,000)
 */
public record Usage(long invocations, long errors, long throttles, long billedMillis,
    long megabyteMillis, Instant since) {

  public static Usage none(Instant since) {
    return new Usage(0, 0, 0, 0, 0, since);
  }

  public Usage plus(long invocations, long errors, long throttles, long billedMillis, long megabyteMillis) {
    return new Usage(Math.addExact(this.invocations, invocations), Math.addExact(this.errors, errors),
        Math.addExact(this.throttles, throttles), Math.addExact(this.billedMillis, billedMillis),
        Math.addExact(this.megabyteMillis, megabyteMillis), since);
  }
}
