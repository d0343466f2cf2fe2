package dev.klambda.testing;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarSource;
import io.fabric8.kubernetes.api.model.ObjectFieldSelector;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceFieldSelector;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A container's environment as the kubelet computes it: literal values with {@code $(VAR)}
 * references expanded (to variables defined before them), and the downward API's {@code
 * fieldRef}/{@code resourceFieldRef} for the fields a Pod of ours could plausibly use. Anything
 * else (Secrets, ConfigMap keys, envFrom) is refused rather than silently left out.
 */
final class PodEnv {
  private static final Pattern LABEL_REF =
      Pattern.compile("metadata\\.(labels|annotations)\\['(.+)'\\]");

  private PodEnv() {}

  /** Name → value in declaration order, as {@code docker run -e} will get them. */
  static Map<String, String> of(PodSandbox sandbox, Container container) {
    if (container.getEnvFrom() != null && !container.getEnvFrom().isEmpty()) {
      throw new UnsupportedOperationException("envFrom (container " + container.getName() + ")");
    }
    Map<String, String> env = new LinkedHashMap<>();
    for (EnvVar var : list(container.getEnv())) {
      String value =
          var.getValueFrom() == null
              ? expand(var.getValue() == null ? "" : var.getValue(), env)
              : valueFrom(sandbox, container, var);
      env.put(var.getName(), value);
    }
    return env;
  }

  /**
   * Kubernetes' expansion of {@code command}, {@code args} and env values: {@code $(NAME)} becomes
   * the variable's value when it is defined and stays as written otherwise; {@code $$} is a '$'.
   */
  static String expand(String text, Map<String, String> variables) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c != '$' || i + 1 == text.length()) {
        out.append(c);
      } else if (text.charAt(i + 1) == '$') {
        out.append('$');
        i++;
      } else if (text.charAt(i + 1) == '(' && text.indexOf(')', i + 2) > 0) {
        int close = text.indexOf(')', i + 2);
        String name = text.substring(i + 2, close);
        out.append(
            variables.containsKey(name) ? variables.get(name) : text.substring(i, close + 1));
        i = close;
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  private static String valueFrom(PodSandbox sandbox, Container container, EnvVar var) {
    EnvVarSource source = var.getValueFrom();
    if (source.getFieldRef() != null) {
      return field(sandbox, source.getFieldRef());
    }
    if (source.getResourceFieldRef() != null) {
      return resource(sandbox.pod(), container, source.getResourceFieldRef());
    }
    throw new UnsupportedOperationException("env " + var.getName() + " from " + source);
  }

  private static String field(PodSandbox sandbox, ObjectFieldSelector selector) {
    Pod pod = sandbox.pod();
    String path = selector.getFieldPath();
    Matcher labelRef = LABEL_REF.matcher(path);
    if (labelRef.matches()) {
      Map<String, String> values =
          labelRef.group(1).equals("labels")
              ? pod.getMetadata().getLabels()
              : pod.getMetadata().getAnnotations();
      return values == null ? "" : values.getOrDefault(labelRef.group(2), "");
    }
    return switch (path) {
      case "metadata.name" -> sandbox.name();
      case "metadata.namespace" -> pod.getMetadata().getNamespace();
      case "metadata.uid" -> sandbox.uid();
      case "status.podIP", "status.podIPs" -> sandbox.ip();
      case "spec.nodeName" -> "docker";
      case "spec.serviceAccountName" ->
          pod.getSpec().getServiceAccountName() == null
              ? "default"
              : pod.getSpec().getServiceAccountName();
      default -> throw new UnsupportedOperationException("env fieldRef " + path);
    };
  }

  /** {@code limits.memory} etc. in units of the divisor, rounded up, as the kubelet does. */
  private static String resource(Pod pod, Container self, ResourceFieldSelector selector) {
    Container container = self;
    if (selector.getContainerName() != null && !selector.getContainerName().isEmpty()) {
      container =
          PodLayout.of(pod).stream()
              .filter(c -> c.getName().equals(selector.getContainerName()))
              .findFirst()
              .orElseThrow(
                  () ->
                      new IllegalArgumentException("no container " + selector.getContainerName()));
    }
    String[] kind = selector.getResource().split("\\.", 2); // limits.cpu → limits, cpu
    Map<String, Quantity> amounts =
        container.getResources() == null
            ? null
            : kind[0].equals("limits")
                ? container.getResources().getLimits()
                : container.getResources().getRequests();
    Quantity amount = amounts == null ? null : amounts.get(kind[1]);
    if (amount == null) {
      // the kubelet answers with the node's allocatable amount: here, this machine
      amount =
          kind[1].equals("cpu")
              ? new Quantity(Integer.toString(Runtime.getRuntime().availableProcessors()))
              : new Quantity(Long.toString(PodResources.machineMemoryBytes()));
    }
    BigDecimal divisor =
        selector.getDivisor() == null ? BigDecimal.ONE : selector.getDivisor().getNumericalAmount();
    return amount.getNumericalAmount().divide(divisor, 0, RoundingMode.CEILING).toPlainString();
  }

  private static <T> List<T> list(List<T> values) {
    return values == null ? List.of() : values;
  }
}
