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
      node =
          step instanceof Integer i
              ? ((List<Object>) node).get(i)
              : ((Map<String, Object>) node).get(step);
    }
    return (T) node;
  }

  /** {@link #at} as an Object, for assertions. */
  static Object value(Object node, Object... path) {
    return at(node, path);
  }

  /** The Deployment whose (first) container has this name: {@code operator} or {@code gateway}. */
  static Map<String, Object> deployment(List<Map<String, Object>> documents, String container) {
    List<Map<String, Object>> found =
        ofKind(documents, "Deployment").stream()
            .filter(
                d -> container.equals(at(d, "spec", "template", "spec", "containers", 0, "name")))
            .toList();
    if (found.size() != 1) {
      throw new AssertionError(
          "expected one Deployment of a container " + container + ", rendered " + found.size());
    }
    return found.getFirst();
  }

  /** The control plane's Deployment: {@code klambda operator}. */
  static Map<String, Object> operatorDeployment(List<Map<String, Object>> documents) {
    return deployment(documents, "operator");
  }

  /** The data plane's Deployment: {@code klambda gateway}. */
  static Map<String, Object> gatewayDeployment(List<Map<String, Object>> documents) {
    return deployment(documents, "gateway");
  }

  static Map<String, Object> operatorContainer(List<Map<String, Object>> documents) {
    return at(operatorDeployment(documents), "spec", "template", "spec", "containers", 0);
  }

  static Map<String, Object> gatewayContainer(List<Map<String, Object>> documents) {
    return at(gatewayDeployment(documents), "spec", "template", "spec", "containers", 0);
  }

  /** The flags after {@code klambda operator}. */
  static List<String> operatorArgs(List<Map<String, Object>> documents) {
    return flagsAfter(operatorContainer(documents), "operator");
  }

  /** The flags after {@code klambda gateway}. */
  static List<String> gatewayArgs(List<Map<String, Object>> documents) {
    return flagsAfter(gatewayContainer(documents), "gateway");
  }

  private static List<String> flagsAfter(Map<String, Object> container, String command) {
    List<String> args = at(container, "args");
    if (args == null || args.isEmpty() || !command.equals(args.getFirst())) {
      throw new AssertionError(
          "the " + command + " container's args do not start with " + command + ": " + args);
    }
    return List.copyOf(args.subList(1, args.size()));
  }

  /** The ServiceAccount a Deployment's pods run as. */
  static String serviceAccountName(Map<String, Object> deployment) {
    return at(deployment, "spec", "template", "spec", "serviceAccountName");
  }

  static String namespace(Map<String, Object> document) {
    return at(document, "metadata", "namespace");
  }
}
