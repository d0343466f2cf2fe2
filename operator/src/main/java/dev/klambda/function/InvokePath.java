package dev.klambda.function;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * The path of AWS Lambda's Invoke operation, {@code POST
 * /2015-03-31/functions/{FunctionName}/invocations}: where the gateway serves it, where pollers and
 * replicas send it, and what a Function's status and local mode tell users to call.
 */
public final class InvokePath {
  public static final String PREFIX = "/2015-03-31/functions/";
  public static final String SUFFIX = "/invocations";

  private InvokePath() {}

  /** The path for {@code functionName}: a name, or {@code namespace/name}, URL-encoded. */
  public static String of(String functionName) {
    return PREFIX + URLEncoder.encode(functionName, StandardCharsets.UTF_8) + SUFFIX;
  }
}
