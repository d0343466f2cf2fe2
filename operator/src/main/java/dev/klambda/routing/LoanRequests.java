package dev.klambda.routing;

import java.net.URI;
import java.util.concurrent.CompletableFuture;

/** What a borrower asks of the replica that routes a function ({@link LoanClient} on the wire). */
interface LoanRequests {
  /** Completes with a loan of an environment of the function {@code key}, or null for none. */
  CompletableFuture<Loan> borrow(URI owner, String key, String borrower);

  /**
   * Gives back a borrowed environment, idle since {@code idleMillis} (or not to be used again).
   * Completes exceptionally when the lender did not take it: it is gone, or no longer routes the
   * function (whoever does now adopted the environment).
   */
  CompletableFuture<Void> giveBack(
      URI lender, String key, String environmentId, boolean reusable, long idleMillis);
}
