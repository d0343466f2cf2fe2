package dev.klambda.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;

/**
 * A closed-loop load generator: {@code n} workers (platform threads, one keep-alive connection
 * each) each send a request, wait for the answer, and send the next, first for a warm-up period and
 * then for a measured period. Latency is System.nanoTime around one request/answer.
 */
final class Load {
  /** Where one worker sends, and what. */
  record Target(
      String host,
      int port,
      String method,
      String path,
      String headers,
      byte[] body,
      int expectedStatus,
      boolean agentRequestId) {}

  /** CPU time used so far, in nanoseconds, per group of processes (client, gateway, ...). */
  interface CpuProbe extends Supplier<Map<String, Long>> {}

  record Result(
      String label,
      int concurrency,
      long[] sortedNanos,
      long errors,
      String firstError,
      double seconds,
      Map<String, Long> environments,
      Map<String, Long> cpuNanos,
      double machineBusy,
      double othersBusy,
      String othersTop) {
    long requests() {
      return sortedNanos.length;
    }

    double throughput() {
      return seconds == 0 ? 0 : requests() / seconds;
    }

    double meanMillis() {
      return Stats.mean(sortedNanos) / 1e6;
    }

    long p(double q) {
      return Stats.percentile(sortedNanos, q);
    }

    /** CPU microseconds per request of a group. */
    double cpuMicrosPerRequest(String group) {
      Long nanos = cpuNanos.get(group);
      return nanos == null || requests() == 0 ? Double.NaN : nanos / 1000.0 / requests();
    }
  }

  private Load() {}

  static final byte[] PAYLOAD = "{\"hello\":\"world\"}".getBytes(StandardCharsets.UTF_8);

  /** One worker per target. */
  static Result run(
      String label, List<Target> targets, Duration warmup, Duration measure, CpuProbe cpu)
      throws InterruptedException {
    int n = targets.size();
    Stats.Samples[] samples = new Stats.Samples[n];
    long[] errors = new long[n];
    long[] lastEnd = new long[n];
    String[] firstError = new String[n];
    List<Map<String, Long>> environments = new ArrayList<>();
    CountDownLatch connected = new CountDownLatch(n);
    CountDownLatch go = new CountDownLatch(1);
    long[] window = new long[2];
    List<Thread> workers = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int w = i;
      samples[w] = new Stats.Samples();
      Map<String, Long> seen = new HashMap<>();
      environments.add(seen);
      workers.add(
          Thread.ofPlatform()
              .name("load-" + w)
              .start(
                  () -> {
                    Target t = targets.get(w);
                    HttpConn conn = new HttpConn(t.host(), t.port(), 60_000);
                    try {
                      conn.connect();
                    } catch (IOException e) {
                      firstError[w] = "connect: " + e;
                    }
                    connected.countDown();
                    try {
                      go.await();
                    } catch (InterruptedException e) {
                      return;
                    }
                    long warmupEnd = window[0];
                    long measureEnd = window[1];
                    long counter = 0;
                    while (true) {
                      long start = System.nanoTime();
                      if (start >= measureEnd || Procs.stopping()) {
                        break;
                      }
                      boolean measured = start >= warmupEnd;
                      String headers =
                          t.agentRequestId()
                              ? "Klambda-Request-Id: bench-"
                                  + w
                                  + "-"
                                  + (counter++)
                                  + "\r\n"
                                  + t.headers()
                              : t.headers();
                      try {
                        HttpConn.Response r = conn.send(t.method(), t.path(), headers, t.body());
                        long end = System.nanoTime();
                        String problem = check(t, r, measured ? seen : null);
                        if (!measured) {
                          continue;
                        }
                        if (problem == null) {
                          samples[w].add(end - start);
                          lastEnd[w] = Math.max(lastEnd[w], end);
                        } else {
                          errors[w]++;
                          if (firstError[w] == null) {
                            firstError[w] = problem;
                          }
                        }
                      } catch (IOException e) {
                        conn.close();
                        if (measured) {
                          errors[w]++;
                          if (firstError[w] == null) {
                            firstError[w] = e.toString();
                          }
                        }
                        try {
                          Thread.sleep(10);
                        } catch (InterruptedException stop) {
                          return;
                        }
                      }
                    }
                    conn.close();
                  }));
    }
    connected.await();
    long now = System.nanoTime();
    window[0] = now + warmup.toNanos();
    window[1] = window[0] + measure.toNanos();
    go.countDown();
    long sleepNanos = window[0] - System.nanoTime();
    if (sleepNanos > 0) {
      Thread.sleep(sleepNanos / 1_000_000, (int) (sleepNanos % 1_000_000));
    }
    Map<String, Long> cpu0 = cpu.get();
    long[] machine0 = Procs.machineCpu();
    Map<Long, Map.Entry<String, Long>> foreign0 = Procs.foreignCpu();
    long cpuWindowStart = System.nanoTime();
    for (Thread t : workers) {
      t.join();
    }
    Map<String, Long> cpu1 = cpu.get();
    long[] machine1 = Procs.machineCpu();
    Map.Entry<Long, String> foreign = Procs.foreignDelta(foreign0, Procs.foreignCpu());
    long cpuWindow = System.nanoTime() - cpuWindowStart;

    Stats.Samples all = new Stats.Samples();
    long errorCount = 0;
    long end = window[0];
    String first = null;
    Map<String, Long> envs = new HashMap<>();
    for (int i = 0; i < n; i++) {
      all.addAll(samples[i]);
      errorCount += errors[i];
      end = Math.max(end, lastEnd[i]);
      if (first == null) {
        first = firstError[i];
      }
      environments.get(i).forEach((env, count) -> envs.merge(env, count, Long::sum));
    }
    Map<String, Long> cpuDelta = new LinkedHashMap<>();
    cpu1.forEach((group, nanos) -> cpuDelta.put(group, nanos - cpu0.getOrDefault(group, 0L)));
    double busy =
        machine1[1] == machine0[1]
            ? Double.NaN
            : 100.0 * (machine1[0] - machine0[0]) / (machine1[1] - machine0[1]);
    // what processes that are not the benchmark's used, as a share of all CPUs
    double others =
        100.0
            * foreign.getKey()
            / ((double) cpuWindow * Runtime.getRuntime().availableProcessors());
    return new Result(
        label,
        n,
        all.sorted(),
        errorCount,
        first,
        (end - window[0]) / 1e9,
        envs,
        cpuDelta,
        busy,
        others,
        foreign.getValue());
  }

  private static final String ENV_PREFIX = "{\"env\":\"";

  /** What is wrong with an answer, or null; counts which environment answered (echo runtime). */
  private static String check(Target t, HttpConn.Response r, Map<String, Long> seen) {
    if (r.status() != t.expectedStatus()) {
      return "status " + r.status() + ": " + r.text();
    }
    if (t.expectedStatus() != 200) {
      return null;
    }
    if (r.header("X-Amz-Function-Error") != null) {
      return "function error: " + r.text();
    }
    String outcome = r.header("Klambda-Outcome");
    if (outcome != null && !outcome.equals("success")) {
      return "outcome " + outcome + ": " + r.text();
    }
    String body = r.text();
    if (!body.startsWith(ENV_PREFIX)) {
      return "unexpected answer: " + body;
    }
    if (seen != null) {
      int close = body.indexOf('"', ENV_PREFIX.length());
      seen.merge(body.substring(ENV_PREFIX.length(), close), 1L, Long::sum);
    }
    return null;
  }
}
