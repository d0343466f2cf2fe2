package dev.klambda.pool;

import dev.klambda.function.CodeSource;
import dev.klambda.function.FunctionConfig;
import dev.klambda.function.FunctionValidator;
import dev.klambda.function.SizingPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One warm pool: how many generic environments of one runtime and memory size are kept started in a
 * namespace, waiting for a function of that runtime and size to claim one.
 */
public record PoolSpec(String namespace, String runtime, int memoryMB, int size) {
  /** Most members one pool keeps: each holds its memory on a node while it waits. */
  public static final int MAX_SIZE = 100;

  private static final Pattern SYNTAX =
      Pattern.compile("(?:([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)/)?([a-z0-9.]+)/([0-9]+)=([0-9]+)");

  /**
   * Pools from {@code [NAMESPACE/]RUNTIME/MEMORY_MB=SIZE,...}, e.g. {@code provided/128=2}; without
   * a namespace, {@code defaultNamespace}.
   *
   * @throws IllegalArgumentException naming {@code option} and the rule broken
   */
  public static List<PoolSpec> parseAll(
      String option, String value, String defaultNamespace, SizingPolicy sizing) {
    List<PoolSpec> pools = new ArrayList<>();
    for (String entry : value.split(",")) {
      if (entry.isBlank()) {
        continue;
      }
      Matcher m = SYNTAX.matcher(entry.trim());
      if (!m.matches()) {
        throw new IllegalArgumentException(
            option
                + ": '"
                + entry.trim()
                + "' must be [NAMESPACE/]RUNTIME/MEMORY_MB=SIZE, e.g. provided/128=2");
      }
      String namespace = m.group(1) == null ? defaultNamespace : m.group(1);
      String runtime = m.group(3);
      if (!FunctionValidator.RUNTIMES.contains(runtime)) {
        throw new IllegalArgumentException(
            option
                + ": runtime '"
                + runtime
                + "' must be one of "
                + FunctionValidator.RUNTIMES.stream().sorted().toList());
      }
      int memoryMB = bounded(option, "MEMORY_MB", m.group(4), 1, 1 << 20);
      String memoryRule = sizing.memoryRule(memoryMB);
      if (memoryRule != null) {
        throw new IllegalArgumentException(option + ": MEMORY_MB " + memoryRule);
      }
      int size = bounded(option, "SIZE", m.group(5), 1, MAX_SIZE);
      PoolSpec pool = new PoolSpec(namespace, runtime, memoryMB, size);
      if (pools.stream()
          .anyMatch(p -> p.name().equals(pool.name()) && p.namespace().equals(namespace))) {
        throw new IllegalArgumentException(
            option + ": " + namespace + "/" + pool.name() + " is given twice");
      }
      pools.add(pool);
    }
    return List.copyOf(pools);
  }

  /** The pool's label value on its members, e.g. {@code provided-128}. */
  public String name() {
    return runtime + "-" + memoryMB;
  }

  /**
   * Whether a member can become an environment of {@code function}: same namespace, runtime and
   * memory, and code a member can be given (code in an image needs that image's own Pod).
   */
  public boolean fits(FunctionConfig function) {
    return namespace.equals(function.namespace())
        && runtime.equals(function.runtime())
        && memoryMB == function.memoryMB()
        && !(function.code() instanceof CodeSource.FromImage);
  }

  @Override
  public String toString() {
    return namespace + "/" + name();
  }

  private static int bounded(String option, String field, String digits, int min, int max) {
    try {
      int n = Integer.parseInt(digits);
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException ignored) {
      // reported below
    }
    throw new IllegalArgumentException(
        option + ": " + field + " must be from " + min + " to " + max + " (got '" + digits + "')");
  }
}
