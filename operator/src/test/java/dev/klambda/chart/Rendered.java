package dev.klambda.chart;

import java.util.List;
import java.util.Map;

/** Reading the documents helm template printed. */
final class Rendered {
  private Rendered() {}

  static List<Map<String, Object>> ofKind(List<Map<String, Object>> documents, String kind) {
    return documents.stream().filter(d -> kind.equals(d.get("kind"))).toList();
  }

  static Map<String, Object> single(List<Map<String, Object>> documents, String kind) {
    List<Map<String, Object>> found = ofKind(documents, kind);
    if (found.size() != 1) {
      throw new AssertionError("expected one " + kind + ", rendered " + found.size());
    }
    return found.getFirst();
  }

  /** The value at a path of map keys and list indexes, e.g. {@code at(doc, "spec", "ports", 0)}. */
  @SuppressWarnings("unchecked")
  static <T> T at(Object node, Object... path) {
    for (Object step : path) {
      if (node == null) {
        return null;
      }
      node = step instanceof Integer i ? ((List<Object>) node).get(i) : ((Map<String, Object>) node).get(step);
    }
    return (T) node;
  }

  /** {@link #at} as an Object, for assertions. */
  static Object value(Object node, Object... path) {
    return at(node, path);
  }

  static Map<String, Object> operatorContainer(List<Map<String, Object>> documents) {
    return at(single(documents, "Deployment"), "spec", "template", "spec", "containers", 0);
  }

  /** The flags after {@code klambda operator}. */
  static List<String> operatorArgs(List<Map<String, Object>> documents) {
    return at(operatorContainer(documents), "args");
  }

  static String namespace(Map<String, Object> document) {
    return at(document, "metadata", "namespace");
  }
}
