package dev.klambda.routing;

import dev.klambda.environments.Environment;
import dev.klambda.environments.EnvironmentManager;
import dev.klambda.function.FunctionConfig;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** Environments that exist only as objects: records what was started and stopped. */
final class TestingEnvironmentManager implements EnvironmentManager {
  final List<Environment> started = new CopyOnWriteArrayList<>();
  final List<Environment> stopped = new CopyOnWriteArrayList<>();
  final AtomicInteger provisionedStarts = new AtomicInteger();
  private final AtomicInteger ids = new AtomicInteger();
  volatile RuntimeException startFailure;

  /** Starts complete when this does: a cold start that takes as long as the test wants. */
  volatile CompletableFuture<Void> startsDone = CompletableFuture.completedFuture(null);

  @Override
  public CompletableFuture<Environment> start(FunctionConfig function, boolean provisioned) {
    if (startFailure != null) {
      return CompletableFuture.failedFuture(startFailure);
    }
    if (provisioned) {
      provisionedStarts.incrementAndGet();
    }
    Environment environment =
        new Environment(
            "env-" + ids.incrementAndGet(),
            function,
            URI.create("http://127.0.0.1:9000"),
            new CompletableFuture<>());
    started.add(environment);
    return startsDone.thenApplyAsync(done -> environment);
  }

  @Override
  public CompletableFuture<Void> stop(Environment environment) {
    stopped.add(environment);
    environment.terminated().complete(null);
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public void close() {
    started.forEach(this::stop);
  }

  int running() {
    return (int) started.stream().filter(e -> !e.isTerminated()).count();
  }
}
