package dev.klambda.function;

import java.time.Duration;
import java.util.Map;

/**
 * A validated Function with its defaults applied: what the gateway routes to and what every
 * execution environment of it is started with.
 */
public record FunctionConfig(
    String namespace,
    String name,
    String uid,
    long generation,
    String runtime,
    String handler,
    CodeSource code,
    int memoryMB,
    Duration timeout,
    Duration initTimeout,
    Map<String, String> variables,
    Integer reservedConcurrency,
    int provisionedConcurrency,
    Duration idleTimeout,
    FunctionUrl url,
    Boolean queueAtLimit,
    EventInvokeConfig eventInvokeConfig) {

  /**
   * A function that throttles at its limit as the gateway's default says, and handles Events as
   * Lambda does by default (retried, no destinations).
   */
  public FunctionConfig(
      String namespace,
      String name,
      String uid,
      long generation,
      String runtime,
      String handler,
      CodeSource code,
      int memoryMB,
      Duration timeout,
      Duration initTimeout,
      Map<String, String> variables,
      Integer reservedConcurrency,
      int provisionedConcurrency,
      Duration idleTimeout,
      FunctionUrl url) {
    this(
        namespace,
        name,
        uid,
        generation,
        runtime,
        handler,
        code,
        memoryMB,
        timeout,
        initTimeout,
        variables,
        reservedConcurrency,
        provisionedConcurrency,
        idleTimeout,
        url,
        null,
        EventInvokeConfig.LAMBDA);
  }

  public static final int DEFAULT_MEMORY_MB = 128;
  public static final int DEFAULT_TIMEOUT_SECONDS = 3;
  public static final int MAX_TIMEOUT_SECONDS = 900;
  public static final int DEFAULT_INIT_TIMEOUT_SECONDS = 10;
  public static final int DEFAULT_IDLE_TIMEOUT_SECONDS = 300;

  /** Whether both describe the same generation of the same Function (the spec is equal). */
  public boolean sameGeneration(FunctionConfig other) {
    return other != null
        && key().equals(other.key())
        && java.util.Objects.equals(uid, other.uid)
        && generation == other.generation;
  }

  /** {@code namespace/name}, unique per gateway. */
  public String key() {
    return namespace + "/" + name;
  }

  /**
   * Where its function URL is served on a gateway: {@code /url/<namespace>/<name>/}; null without
   * one.
   */
  public String urlPath() {
    return url == null ? null : "/url/" + namespace + "/" + name + "/";
  }

  /** The function's ARN: the namespace stands where AWS has the account. */
  public String arn(String region) {
    return arn(region, namespace, name);
  }

  /** The ARN of the function {@code name} in {@code namespace}. */
  public static String arn(String region, String namespace, String name) {
    return "arn:aws:lambda:" + region + ":" + namespace + ":function:" + name;
  }
}
