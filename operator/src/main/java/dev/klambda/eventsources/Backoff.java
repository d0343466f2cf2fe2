package dev.klambda.eventsources;

import java.time.Duration;

/** The waits between failed attempts of a poller: doubling from the first up to a ceiling. */
final class Backoff {
  private final Duration first;
  private final Duration ceiling;
  private Duration next;

  Backoff(Duration first, Duration ceiling) {
    this.first = first;
    this.ceiling = ceiling;
    this.next = first;
  }

  /** The wait before the next attempt; the one after it is twice as long, at most the ceiling. */
  Duration next() {
    Duration wait = next;
    next = wait.multipliedBy(2).compareTo(ceiling) > 0 ? ceiling : wait.multipliedBy(2);
    return wait;
  }

  /** An attempt succeeded: the next failure waits the first wait again. */
  void reset() {
    next = first;
  }

  /** How a poller waits: false when interrupted (it is closing), the interrupt kept. */
  static boolean sleep(Duration duration) {
    try {
      Thread.sleep(duration);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
