package dev.klambda.cli;

import java.util.concurrent.CountDownLatch;

/**
 * What every command does around the mode it runs: wait for the end, tell why it could not start.
 */
public final class Commands {
  private Commands() {}

  /** Blocks the main thread; the JVM ends through SIGTERM / Ctrl-C and the shutdown hooks. */
  public static int waitForShutdown() {
    try {
      new CountDownLatch(1).await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }

  /** The innermost cause: fabric8's outer messages ("An error has occurred.") say nothing. */
  public static String rootCause(Throwable e) {
    Throwable cause = e;
    while (cause.getCause() != null && cause.getCause() != cause) {
      cause = cause.getCause();
    }
    return cause == e ? String.valueOf(e.getMessage()) : e.getMessage() + " (" + cause + ")";
  }
}
