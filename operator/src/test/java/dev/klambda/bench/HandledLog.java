package dev.klambda.bench;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads what {@code LatencyRecorder} appends ({@code handledAtMs latencyMs id} per record), as it
 * grows: the first handling of each id, and how many ids came more than once.
 */
final class HandledLog {
  record Entry(long handledAt, long latency) {}

  private final Path file;
  private final Map<String, Entry> first = new HashMap<>();
  private final Map<Character, Integer> perPrefix = new HashMap<>();
  private long offset;
  private String partial = "";
  private int duplicates;

  HandledLog(Path file) {
    this.file = file;
  }

  /** Reads the lines appended since the last call. */
  synchronized HandledLog refresh() throws IOException {
    if (!Files.exists(file)) {
      return this;
    }
    try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
      long length = in.length();
      if (length <= offset) {
        return this;
      }
      byte[] bytes = new byte[(int) (length - offset)];
      in.seek(offset);
      in.readFully(bytes);
      offset = length;
      String text = partial + new String(bytes, StandardCharsets.UTF_8);
      int end = text.lastIndexOf('\n');
      partial = text.substring(end + 1);
      for (String line : text.substring(0, Math.max(0, end)).split("\n")) {
        String[] f = line.split(" ");
        if (f.length == 3
            && first.putIfAbsent(f[2], new Entry(Long.parseLong(f[0]), Long.parseLong(f[1])))
                != null) {
          duplicates++;
        } else if (f.length == 3) {
          perPrefix.merge(f[2].charAt(0), 1, Integer::sum);
        }
      }
    }
    return this;
  }

  /** Distinct ids starting with {@code prefix} (one letter) handled so far. */
  synchronized int count(String prefix) {
    return perPrefix.getOrDefault(prefix.charAt(0), 0);
  }

  /** Waits until {@code n} distinct ids with this prefix were handled; false on timeout. */
  boolean await(String prefix, int n, long timeoutMillis) throws IOException, InterruptedException {
    long deadline = System.currentTimeMillis() + timeoutMillis;
    while (refresh().count(prefix) < n) {
      if (System.currentTimeMillis() > deadline) {
        return false;
      }
      Thread.sleep(20);
    }
    return true;
  }

  synchronized int duplicates() {
    return duplicates;
  }

  /** Earliest and latest handling time (epoch ms) of the ids with this prefix. */
  synchronized long[] handledSpan(String prefix) {
    long[] span = {Long.MAX_VALUE, Long.MIN_VALUE};
    first.forEach(
        (id, e) -> {
          if (id.startsWith(prefix)) {
            span[0] = Math.min(span[0], e.handledAt());
            span[1] = Math.max(span[1], e.handledAt());
          }
        });
    return span;
  }

  /** Sorted enqueue-to-handler latencies (ms) of the ids with this prefix. */
  synchronized long[] latencies(String prefix) {
    long[] values =
        first.entrySet().stream()
            .filter(e -> e.getKey().startsWith(prefix))
            .mapToLong(e -> e.getValue().latency())
            .toArray();
    Arrays.sort(values);
    return values;
  }

  /** Nearest-rank percentile of sorted values. */
  static long percentile(long[] sorted, double p) {
    if (sorted.length == 0) {
      return -1;
    }
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }
}
