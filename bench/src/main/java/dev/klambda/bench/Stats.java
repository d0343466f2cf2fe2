package dev.klambda.bench;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** Percentiles and tables. */
final class Stats {
  private Stats() {}

  /** A growable array of longs (latency samples, in nanoseconds). */
  static final class Samples {
    private long[] values = new long[4096];
    private int size;

    void add(long value) {
      if (size == values.length) {
        values = Arrays.copyOf(values, size * 2);
      }
      values[size++] = value;
    }

    void addAll(Samples other) {
      for (int i = 0; i < other.size; i++) {
        add(other.values[i]);
      }
    }

    int size() {
      return size;
    }

    long[] sorted() {
      long[] copy = Arrays.copyOf(values, size);
      Arrays.sort(copy);
      return copy;
    }
  }

  /** Nearest-rank percentile of sorted values; q in [0, 1]. */
  static long percentile(long[] sorted, double q) {
    if (sorted.length == 0) {
      return 0;
    }
    int rank = (int) Math.ceil(q * sorted.length);
    return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
  }

  static double mean(long[] values) {
    return values.length == 0 ? 0 : Arrays.stream(values).average().orElse(0);
  }

  static String ms(long nanos) {
    return String.format(Locale.ROOT, "%.3f", nanos / 1e6);
  }

  static String ms1(double nanos) {
    return String.format(Locale.ROOT, "%.1f", nanos / 1e6);
  }

  static String fmt(String pattern, Object... args) {
    return String.format(Locale.ROOT, pattern, args);
  }

  /** A Markdown table (readable as plain text too). */
  static String table(List<String> header, List<List<String>> rows) {
    int[] widths = new int[header.size()];
    for (int i = 0; i < header.size(); i++) {
      widths[i] = header.get(i).length();
      for (List<String> row : rows) {
        widths[i] = Math.max(widths[i], row.get(i).length());
      }
    }
    StringBuilder out = new StringBuilder();
    appendRow(out, header, widths);
    out.append('|');
    for (int w : widths) {
      out.append("-".repeat(w + 2)).append('|');
    }
    out.append('\n');
    rows.forEach(r -> appendRow(out, r, widths));
    return out.toString();
  }

  private static void appendRow(StringBuilder out, List<String> cells, int[] widths) {
    out.append('|');
    for (int i = 0; i < cells.size(); i++) {
      String cell = cells.get(i);
      out.append(' ').append(cell).append(" ".repeat(widths[i] - cell.length())).append(" |");
    }
    out.append('\n');
  }
}
