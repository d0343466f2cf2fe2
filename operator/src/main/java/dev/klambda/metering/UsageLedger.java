package dev.klambda.metering;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Every function's usage: what was persisted before (the base, read back after a restart) plus
 * what this process metered since. Recording is a few adds on the invocation path; totals are
 * read by the roll-up that persists them.
 */
public final class UsageLedger {
  private static final class Account {
    final Usage base;
    final LongAdder invocations = new LongAdder();
    final LongAdder errors = new LongAdder();
    final LongAdder throttles = new LongAdder();
    final LongAdder billedMillis = new LongAdder();
    final LongAdder megabyteMillis = new LongAdder();

    Account(Usage base) {
      this.base = base;
    }

    Usage total() {
      return base.plus(invocations.sum(), errors.sum(), throttles.sum(), billedMillis.sum(), megabyteMillis.sum());
    }
  }

  private final Map<String, Account> accounts = new ConcurrentHashMap<>();
  private final Clock clock;

  public UsageLedger(Clock clock) {
    this.clock = clock;
  }

  /** The persisted totals of a function, as its starting point; ignored once it has an account. */
  public void seed(String key, Usage persisted) {
    accounts.putIfAbsent(key, new Account(persisted));
  }

  /** A function that is gone (deleted): a new one of the same name starts from zero. */
  public void forget(String key) {
    accounts.remove(key);
  }

  public void invoked(String key, boolean error, long billedMillis, long megabyteMillis) {
    Account account = account(key);
    account.invocations.increment();
    if (error) {
      account.errors.increment();
    }
    account.billedMillis.add(billedMillis);
    account.megabyteMillis.add(megabyteMillis);
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
    return account != null ? account : accounts.computeIfAbsent(key, k -> new Account(Usage.none(clock.instant())));
  }
}
