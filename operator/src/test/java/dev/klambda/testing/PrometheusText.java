package dev.klambda.testing;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A parser of Prometheus' text exposition format (samples with their labels), for tests. */
public final class PrometheusText {
  public record Sample(String name, Map<String, String> labels, double value) {}

  private PrometheusText() {}

  public static List<Sample> parse(String text) {
    List<Sample> samples = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int i = 0;
      while (i < line.length() && line.charAt(i) != '{' && line.charAt(i) != ' ') {
        i++;
      }
      String name = line.substring(0, i);
      Map<String, String> labels = new LinkedHashMap<>();
      if (i < line.length() && line.charAt(i) == '{') {
        i = labels(line, i + 1, labels);
      }
      String[] rest = line.substring(i).trim().split("\\s+");
      samples.add(new Sample(name, labels, Double.parseDouble(rest[0])));
    }
    return samples;
  }

  /** Reads {@code a="x",b="y\"z"}; returns the index after the closing brace. */
  private static int labels(String line, int i, Map<String, String> labels) {
    while (line.charAt(i) != '}') {
      int eq = line.indexOf('=', i);
      String key = line.substring(i, eq).trim();
      StringBuilder value = new StringBuilder();
      int j = eq + 2; // past ="
      while (line.charAt(j) != '"') {
        char c = line.charAt(j);
        if (c == '\\') {
          char next = line.charAt(++j);
          value.append(next == 'n' ? '\n' : next);
        } else {
          value.append(c);
        }
        j++;
      }
      labels.put(key, value.toString());
      i = j + 1;
      if (line.charAt(i) == ',') {
        i++;
      }
    }
    return i + 1;
  }

  public static double value(List<Sample> samples, String name, Map<String, String> labels) {
    return samples.stream()
        .filter(s -> s.name().equals(name) && s.labels().entrySet().containsAll(labels.entrySet()))
        .mapToDouble(Sample::value)
        .sum();
  }
}
