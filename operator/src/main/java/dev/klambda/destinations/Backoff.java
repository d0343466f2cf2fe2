package dev.klambda.destinations;

import java.time.Duration;

/**
 * The waits between failed attempts (a poller's, a send's): doubling from the first up to a
 * ceiling.
 */
public final class Backoff {
  private final Duration first;
  private final Duration ceiling;
  private Duration next;

  public Backoff(Duration first, Duration ceiling) {
    this.first = first;
    this.ceiling = ceiling;
    this.next = first;
  }

  /** The wait before the next attempt; the one after it is twice as long, at most the ceiling. */
  public Duration next() {
    Duration wait = next;
    next = wait.multipliedBy(2).compareTo(ceiling) > 0 ? ceiling : wait.multipliedBy(2);
    return wait;
  }

  /** An attempt succeeded: the next failure waits the first wait again. */
  public void reset() {
    next = first;
  }

  /** Waits: false when interrupted (the poller or event is stopping), the interrupt kept. */
  public static boolean sleep(Duration duration) {
    try {
      Thread.sleep(duration);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
