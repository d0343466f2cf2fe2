package dev.klambda.metering;

import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Every function's usage metered by this process since it started. Recording is a few adds on the
 * invocation path; totals are read by the roll-up, which adds what is new to the stored usage
 * (several gateway replicas meter the same function when its routing moves between them).
 */
public final class UsageLedger {
  private static final class Account {
    final Instant since;
    final LongAdder invocations = new LongAdder();
    final LongAdder errors = new LongAdder();
    final LongAdder throttles = new LongAdder();
    final LongAdder billedMillis = new LongAdder();
    final LongAdder megabyteMillis = new LongAdder();

    Account(Instant since) {
      this.since = since;
    }

    void bill(long billed, long megabytes) {
      billedMillis.add(billed);
      megabyteMillis.add(megabytes);
    }

    Usage total() {
      return Usage.none(since)
          .plus(
              invocations.sum(),
              errors.sum(),
              throttles.sum(),
              billedMillis.sum(),
              megabyteMillis.sum());
    }
  }

  private final Map<String, Account> accounts = new ConcurrentHashMap<>();
  private final Clock clock;

  public UsageLedger(Clock clock) {
    this.clock = clock;
  }

  public void invoked(String key, boolean error, long billedMillis, long megabyteMillis) {
    Account account = account(key);
    account.invocations.increment();
    if (error) {
      account.errors.increment();
    }
    account.bill(billedMillis, megabyteMillis);
  }

  /** Billed time of an invocation counted already (the rest of its phase, after its answer). */
  public void billed(String key, long billedMillis, long megabyteMillis) {
    account(key).bill(billedMillis, megabyteMillis);
  }

  public void throttled(String key) {
    account(key).throttles.increment();
  }

  public Map<String, Usage> totals() {
    Map<String, Usage> totals = new LinkedHashMap<>();
    accounts.forEach((key, account) -> totals.put(key, account.total()));
    return totals;
  }

  private Account account(String key) {
    Account account = accounts.get(key);
    return account != null
        ? account
        : accounts.computeIfAbsent(key, k -> new Account(clock.instant()));
  }
}
