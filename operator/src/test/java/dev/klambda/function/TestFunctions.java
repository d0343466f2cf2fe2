package dev.klambda.function;

import java.time.Duration;
import java.util.Map;

/** FunctionConfigs for tests, with Lambda's defaults. */
public final class TestFunctions {
  private TestFunctions() {}

  public static FunctionConfig config(String name, Integer reserved, int provisioned, Duration idleTimeout) {
    return new FunctionConfig("default", name, null, 1, "provided", "", new CodeSource.Inline(Map.of()), 128,
        Duration.ofSeconds(3), Duration.ofSeconds(10), Map.of(), reserved, provisioned, idleTimeout, null);
  }
}
