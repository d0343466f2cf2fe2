package dev.klambda.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import java.util.Map;

/** What the user asks for; defaults are applied where the spec is resolved, not here. */
public class FunctionSpec {
  @JsonPropertyDescription(
      "The runtime, by Lambda's identifier: 'provided' (an executable 'bootstrap' in "
          + "the code speaks the Lambda Runtime API), 'java21' (AWS's Java runtime interface client runs the "
          + "handler), 'python3.11' (Python 3.11 and a runtime client of the Lambda contract) or 'nodejs22.x' "
          + "(Node.js 22 and AWS's aws-lambda-ric).")
  @Required
  @Pattern("^(provided|java21|python3\\.11|nodejs22\\.x)$")
  private String runtime;

  @JsonPropertyDescription(
      "The handler, passed to the runtime as _HANDLER: for java21 "
          + "'package.Class::method' or 'package.Class'; for python3.11 'module.function' (the module's path "
          + "from the code's root, packages with dots, e.g. 'app.handlers.main'); for nodejs22.x 'file.export' "
          + "(the file without its .js, .mjs or .cjs, e.g. 'index.handler' or 'src/app.handler').")
  private String handler;

  @JsonPropertyDescription("The function's code: exactly one of inline, configMap or image.")
  @Required
  private FunctionCode code;

  @JsonPropertyDescription(
      "Memory in MB (default 128), within the operator's sizing policy (by "
          + "default 128-3008 in steps of 64). CPU is allotted in proportion: 1 vCPU per 1792 MB by default.")
  @Min(128)
  @Max(10240)
  @Default("128")
  private Integer memoryMB;

  @JsonPropertyDescription("Maximum duration of one invocation in seconds, 1 to 900 (default 3).")
  @Min(1)
  @Max(900)
  @Default("3")
  private Integer timeoutSeconds;

  @JsonPropertyDescription(
      "Maximum duration of an environment's Init in seconds, 1 to 900 (default 10).")
  @Min(1)
  @Max(900)
  @Default("10")
  private Integer initTimeoutSeconds;

  @JsonPropertyDescription("Environment variables of the function.")
  private FunctionEnvironment environment;

  @JsonPropertyDescription(
      "Maximum number of environments running at once; a synchronous invocation past "
          + "it gets 429 TooManyRequestsException at once, as in Lambda (unless queueAtLimit). 0 throttles every "
          + "invocation.")
  @Min(0)
  private Integer reservedConcurrency;

  @JsonPropertyDescription(
      "At the concurrency limit, let a synchronous invocation wait in the gateway's queue "
          + "(up to its queue timeout) for an environment to free up, instead of Lambda's immediate 429 "
          + "TooManyRequestsException. Not Lambda's behaviour: for callers that do not retry. Default: the "
          + "gateway's --queue-at-limit (false).")
  private Boolean queueAtLimit;

  @JsonPropertyDescription("Number of environments kept initialised even without work (default 0).")
  @Min(0)
  @Default("0")
  private Integer provisionedConcurrency;

  @JsonPropertyDescription(
      "How Event (asynchronous) invocations are retried and where their invocation "
          + "records go, as Lambda's PutFunctionEventInvokeConfig: maximumRetryAttempts, maximumEventAgeInSeconds "
          + "and destinationConfig.")
  private AsyncInvokeConfig asyncInvokeConfig;

  @JsonPropertyDescription(
      "A function URL: the function answers HTTP requests at "
          + "<gateway>/url/<namespace>/<name>/<path> (shown in status.functionUrl) with Lambda's payload format 2.0.")
  private FunctionUrlConfig url;

  @JsonPropertyDescription(
      "An environment idle this many seconds is shut down (default 300); a "
          + "function without work ends with zero environments.")
  @Min(1)
  @Default("300")
  private Integer idleTimeoutSeconds;

  public String getRuntime() {
    return runtime;
  }

  public void setRuntime(String runtime) {
    this.runtime = runtime;
  }

  public String getHandler() {
    return handler;
  }

  public void setHandler(String handler) {
    this.handler = handler;
  }

  public FunctionCode getCode() {
    return code;
  }

  public void setCode(FunctionCode code) {
    this.code = code;
  }

  public Integer getMemoryMB() {
    return memoryMB;
  }

  public void setMemoryMB(Integer memoryMB) {
    this.memoryMB = memoryMB;
  }

  public Integer getTimeoutSeconds() {
    return timeoutSeconds;
  }

  public void setTimeoutSeconds(Integer timeoutSeconds) {
    this.timeoutSeconds = timeoutSeconds;
  }

  public Integer getInitTimeoutSeconds() {
    return initTimeoutSeconds;
  }

  public void setInitTimeoutSeconds(Integer initTimeoutSeconds) {
    this.initTimeoutSeconds = initTimeoutSeconds;
  }

  public FunctionEnvironment getEnvironment() {
    return environment;
  }

  public void setEnvironment(FunctionEnvironment environment) {
    this.environment = environment;
  }

  public Integer getReservedConcurrency() {
    return reservedConcurrency;
  }

  public void setReservedConcurrency(Integer reservedConcurrency) {
    this.reservedConcurrency = reservedConcurrency;
  }

  public AsyncInvokeConfig getAsyncInvokeConfig() {
    return asyncInvokeConfig;
  }

  public void setAsyncInvokeConfig(AsyncInvokeConfig asyncInvokeConfig) {
    this.asyncInvokeConfig = asyncInvokeConfig;
  }

  public Boolean getQueueAtLimit() {
    return queueAtLimit;
  }

  public void setQueueAtLimit(Boolean queueAtLimit) {
    this.queueAtLimit = queueAtLimit;
  }

  public Integer getProvisionedConcurrency() {
    return provisionedConcurrency;
  }

  public void setProvisionedConcurrency(Integer provisionedConcurrency) {
    this.provisionedConcurrency = provisionedConcurrency;
  }

  public Integer getIdleTimeoutSeconds() {
    return idleTimeoutSeconds;
  }

  public void setIdleTimeoutSeconds(Integer idleTimeoutSeconds) {
    this.idleTimeoutSeconds = idleTimeoutSeconds;
  }

  public FunctionUrlConfig getUrl() {
    return url;
  }

  public void setUrl(FunctionUrlConfig url) {
    this.url = url;
  }

  /** Variables by name, as in Lambda's {@code Environment.Variables}. */
  public static class FunctionEnvironment {
    @JsonPropertyDescription(
        "Variables by name; names start with a letter and hold letters, digits "
            + "and underscores; Lambda's reserved names (AWS_REGION, _HANDLER, ...) are refused.")
    private Map<String, String> variables;

    public Map<String, String> getVariables() {
      return variables;
    }

    public void setVariables(Map<String, String> variables) {
      this.variables = variables;
    }
  }
}
