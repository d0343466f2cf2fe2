package dev.klambda.agent;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Ends Invoke phases that run out of time, with one thread per environment that sleeps until the
 * nearest deadline, rather than a timer per invocation: scheduling and cancelling one woke the
 * JDK's shared delay scheduler twice per invocation, and cancelling a {@code CompletableFuture}
 * with a dependent threw (and filled in the stack traces of) a {@code CancellationException} and
 * two {@code CompletionException}s, on the server's dispatcher thread.
 *
 * <p>Nothing wakes the thread when an invocation begins: {@code expire} returns the nearest
 * deadline left, or, with none running, now plus the function's timeout, which no deadline of an
 * invocation that begins later can precede. It thus wakes about once per timeout.
 */
final class DeadlineWatch {
  private static final long RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
  private final Thread thread;

  /**
   * @param expire ends the overdue phases; returns the nearest deadline left, in {@link
   *     System#nanoTime}
   */
  private DeadlineWatch(LongSupplier expire) {
    this.thread = Thread.ofPlatform().daemon().name("deadlines").unstarted(() -> run(expire));
  }

  static DeadlineWatch start(LongSupplier expire) {
    DeadlineWatch watch = new DeadlineWatch(expire);
    watch.thread.start();
    return watch;
  }

  void stop() {
    thread.interrupt();
  }

  private static void run(LongSupplier expire) {
    try {
      while (true) {
        long wait;
        try {
          wait = expire.getAsLong() - System.nanoTime();
        } catch (RuntimeException e) {
          // a failure ending one phase must not end the watch over every later one
          System.err.println("klambda-agent: ending an invocation at its deadline failed: " + e);
          wait = RETRY_NANOS;
        }
        if (wait > 0) {
          TimeUnit.NANOSECONDS.sleep(wait);
        }
      }
    } catch (InterruptedException stopped) {
      // the environment shut down
    }
  }
}
