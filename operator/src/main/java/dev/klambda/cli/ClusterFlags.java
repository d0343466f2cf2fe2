package dev.klambda.cli;

import dev.klambda.function.SizingPolicy;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.Option;

/** What the commands that run in a cluster take (gateway and operator). */
final class ClusterFlags {
  @Option(
      names = "--namespaces",
      paramLabel = "A,B",
      split = ",",
      description = "namespaces to serve (default: all)")
  List<String> namespaces = List.of();

  @Option(
      names = "--metrics-auth",
      paramLabel = "none|kubernetes",
      defaultValue = "none",
      description =
          "kubernetes: /metrics only for a bearer token whose user RBAC lets get the non-resource "
              + "URL /metrics (TokenReview and SubjectAccessReview, as kube-rbac-proxy); default ${DEFAULT-VALUE}")
  String metricsAuth;

  @Option(
      names = "--default-namespace",
      paramLabel = "NAME",
      defaultValue = "default",
      description = "namespace of a FunctionName without one (default '${DEFAULT-VALUE}')")
  String defaultNamespace;

  @Option(
      names = "--min-memory-mb",
      paramLabel = "N",
      defaultValue = "" + SizingPolicy.DEFAULT_MIN_MEMORY_MB,
      description = "sizing policy: smallest memoryMB (default ${DEFAULT-VALUE})")
  int minMemoryMB;

  @Option(
      names = "--max-memory-mb",
      paramLabel = "N",
      defaultValue = "" + SizingPolicy.DEFAULT_MAX_MEMORY_MB,
      description = "sizing policy: largest memoryMB (default ${DEFAULT-VALUE})")
  int maxMemoryMB;

  @Option(
      names = "--memory-step-mb",
      paramLabel = "N",
      defaultValue = "" + SizingPolicy.DEFAULT_STEP_MB,
      description = "sizing policy: memoryMB steps (default ${DEFAULT-VALUE})")
  int stepMB;

  @Option(
      names = "--mb-per-vcpu",
      paramLabel = "N",
      defaultValue = "" + SizingPolicy.DEFAULT_MB_PER_VCPU,
      description = "sizing policy: memory per full vCPU (default ${DEFAULT-VALUE})")
  int mbPerVcpu;

  @Option(
      names = "--lease-namespace",
      paramLabel = "NAME",
      description = "namespace of the Leases (default: the pod's)")
  String leaseNamespace;

  /** In the order given, so that messages naming them list them as the user did. */
  Set<String> namespaces() {
    Set<String> set = new LinkedHashSet<>();
    namespaces.stream().map(String::trim).filter(n -> !n.isEmpty()).forEach(set::add);
    return Collections.unmodifiableSet(set);
  }

  boolean metricsAuth() {
    return switch (metricsAuth) {
      case "none" -> false;
      case "kubernetes" -> true;
      default ->
          throw new IllegalArgumentException(
              "--metrics-auth must be none or kubernetes (got '" + metricsAuth + "')");
    };
  }

  SizingPolicy sizing() {
    return new SizingPolicy(
        Flags.range("--min-memory-mb", minMemoryMB, 1, 1 << 20),
        Flags.range("--max-memory-mb", maxMemoryMB, 1, 1 << 20),
        Flags.range("--memory-step-mb", stepMB, 1, 1 << 20),
        Flags.range("--mb-per-vcpu", mbPerVcpu, 1, 1 << 20));
  }
}
