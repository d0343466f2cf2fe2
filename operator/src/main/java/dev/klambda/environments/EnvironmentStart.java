package dev.klambda.environments;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/** Runs a blocking environment start on a virtual thread, its failures as the future's. */
final class EnvironmentStart {
  /** A start that blocks until the environment's Init has ended. */
  interface Blocking {
    Environment start() throws IOException, InterruptedException;
  }

  private EnvironmentStart() {}

  static CompletableFuture<Environment> async(Blocking start, Executor executor) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return start.start();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }, executor);
  }
}
