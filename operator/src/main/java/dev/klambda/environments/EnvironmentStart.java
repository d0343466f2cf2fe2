package dev.klambda.environments;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * Runs a blocking start (an environment, a pool member) on a virtual thread, its failures as the
 * future's.
 */
final class EnvironmentStart {
  /** A start that blocks until what it starts is ready (an environment: its Init has ended). */
  interface Blocking<T> {
    T start() throws IOException, InterruptedException;
  }

  private EnvironmentStart() {}

  static <T> CompletableFuture<T> async(Blocking<T> start, Executor executor) {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            return start.start();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
          }
        },
        executor);
  }
}
