package dev.klambda.bench.http;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Workers sending requests back to back, one platform thread each (closed loop: the next request
 * when the answer has come): how both sides of the benchmark are driven.
 */
final class ClosedLoop {
  /** One request, blocking until its answer has been read and checked. */
  interface Call {
    void call() throws Exception;
  }

  /** The latencies of every request, sorted. */
  record Run(long wallNanos, long[] sortedLatencies) {
    long requests() {
      return sortedLatencies.length;
    }

    long p50() {
      return sortedLatencies[sortedLatencies.length / 2];
    }

    long p99() {
      return sortedLatencies[(int) Math.ceil(sortedLatencies.length * 0.99) - 1];
    }
  }

  private ClosedLoop() {}

  static Run run(List<Call> workers, int perWorker) throws InterruptedException {
    long[][] latencies = new long[workers.size()][perWorker];
    List<Thread> threads = new ArrayList<>();
    List<Exception> failures = new CopyOnWriteArrayList<>();
    long start = System.nanoTime();
    for (int w = 0; w < workers.size(); w++) {
      Call call = workers.get(w);
      long[] mine = latencies[w];
      threads.add(
          Thread.ofPlatform()
              .start(
                  () -> {
                    try {
                      for (int i = 0; i < mine.length; i++) {
                        long sent = System.nanoTime();
                        call.call();
                        mine[i] = System.nanoTime() - sent;
                      }
                    } catch (Exception e) {
                      failures.add(e);
                    }
                  }));
    }
    for (Thread thread : threads) {
      thread.join();
    }
    long wall = System.nanoTime() - start;
    if (!failures.isEmpty()) {
      throw new IllegalStateException("a worker failed", failures.getFirst());
    }
    return new Run(wall, Arrays.stream(latencies).flatMapToLong(Arrays::stream).sorted().toArray());
  }
}
