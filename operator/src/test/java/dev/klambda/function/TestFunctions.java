package dev.klambda.function;

import java.time.Duration;
import java.util.Map;

/** FunctionConfigs for tests, with Lambda's defaults. */
public final class TestFunctions {
  private TestFunctions() {}

  public static FunctionConfig config(
      String name, Integer reserved, int provisioned, Duration idleTimeout) {
    return new FunctionConfig(
        "default",
        name,
        null,
        1,
        "provided",
        "",
        new CodeSource.Inline(Map.of()),
        128,
        Duration.ofSeconds(3),
        Duration.ofSeconds(10),
        Map.of(),
        reserved,
        provisioned,
        idleTimeout,
        null);
  }

  /** The function with another asyncInvokeConfig. */
  public static FunctionConfig withEvents(FunctionConfig f, EventInvokeConfig events) {
    return new FunctionConfig(
        f.namespace(),
        f.name(),
        f.uid(),
        f.generation(),
        f.runtime(),
        f.handler(),
        f.code(),
        f.memoryMB(),
        f.timeout(),
        f.initTimeout(),
        f.variables(),
        f.reservedConcurrency(),
        f.provisionedConcurrency(),
        f.idleTimeout(),
        f.url(),
        f.queueAtLimit(),
        events);
  }
}
