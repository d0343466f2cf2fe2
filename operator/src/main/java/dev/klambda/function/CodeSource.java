package dev.klambda.function;

import java.util.Map;

/** Where an environment gets the function's code from. */
public sealed interface CodeSource {
  /** Files from the manifest, by relative path. */
  record Inline(Map<String, byte[]> files) implements CodeSource {}

  /** A user-managed ConfigMap in the function's namespace. */
  record FromConfigMap(String name) implements CodeSource {}

  /** An image with the code at the task root. */
  record FromImage(String image) implements CodeSource {}
}
