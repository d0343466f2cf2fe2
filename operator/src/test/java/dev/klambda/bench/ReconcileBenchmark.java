package dev.klambda.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.klambda.api.Function;
import dev.klambda.testing.Manifests;
import dev.klambda.testing.MockCluster;
import dev.klambda.testing.RunningKlambda;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/**
 * Reconciles 1,000 Functions to Ready against the mock API server and reports the wall time and the
 * heap. Not part of the test suite (no *Test / *IT suffix); run it with {@code mvn -pl operator
 * test -Dtest=ReconcileBenchmark -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class ReconcileBenchmark {
  private static final int FUNCTIONS = 1000;
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void reconcileAThousandFunctionsToReady() throws Exception {
    try (MockCluster cluster = new MockCluster()) {
      long heapBefore = usedHeapAfterGc();
      RunningKlambda operator = cluster.startOperator();
      long started = System.nanoTime();
      try (ExecutorService pool = Executors.newFixedThreadPool(16)) {
        for (int i = 0; i < FUNCTIONS; i++) {
          int n = i;
          pool.submit(
              () ->
                  cluster
                      .client()
                      .resource(
                          JSON.convertValue(
                              Manifests.provided(
                                  "fn-" + n,
                                  "#!/bin/sh\nexec sleep 1000\n",
                                  Map.of("memoryMB", 128 + 64 * (n % 8))),
                              Function.class))
                      .inNamespace("default")
                      .create());
        }
      }
      long created = System.nanoTime();
      int ready = 0;
      while (ready < FUNCTIONS && System.nanoTime() - started < Duration.ofMinutes(5).toNanos()) {
        ready =
            (int)
                cluster
                    .client()
                    .resources(Function.class)
                    .inNamespace("default")
                    .list()
                    .getItems()
                    .stream()
                    .filter(
                        f ->
                            f.getStatus() != null
                                && f.getStatus().getConditions().stream()
                                    .anyMatch(
                                        c ->
                                            c.getType().equals("Ready")
                                                && c.getStatus().equals("True")))
                    .count();
        Thread.sleep(200);
      }
      long allReady = System.nanoTime();
      long heapWith = usedHeapAfterGc();
      System.out.printf(
          "%nReconcileBenchmark: %d Functions created in %.1f s, all Ready after %.1f s "
              + "(from the first create); heap used after GC: %d MB before the operator, %d MB with it "
              + "and %d Functions (the mock API server's store is in the same heap)%n",
          FUNCTIONS,
          (created - started) / 1e9,
          (allReady - started) / 1e9,
          heapBefore >> 20,
          heapWith >> 20,
          FUNCTIONS);
      operator.close();
      assertThat(ready).isEqualTo(FUNCTIONS);
    }
  }

  private static long usedHeapAfterGc() throws InterruptedException {
    System.gc();
    Thread.sleep(200);
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}
