package dev.klambda.function;

import dev.klambda.api.AsyncInvokeConfig;
import dev.klambda.api.EventDestination;
import dev.klambda.api.EventDestinationConfig;
import dev.klambda.api.Function;
import dev.klambda.api.FunctionCode;
import dev.klambda.api.FunctionSpec;
import dev.klambda.api.FunctionUrlConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks a Function against the rules (Lambda's, Kubernetes' and the sizing policy) and resolves it
 * into a {@link FunctionConfig}. Every broken rule is reported, each naming its field.
 */
public final class FunctionValidator {
  public static final Set<String> RUNTIMES =
      Set.of("provided", "java21", "python3.11", "nodejs22.x");

  /** Variables Lambda sets itself; a function may not set them (AWS refuses them too). */
  static final Set<String> RESERVED_VARIABLES =
      Set.of(
          "_HANDLER",
          "_X_AMZN_TRACE_ID",
          "AWS_DEFAULT_REGION",
          "AWS_REGION",
          "AWS_EXECUTION_ENV",
          "AWS_LAMBDA_FUNCTION_NAME",
          "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
          "AWS_LAMBDA_FUNCTION_VERSION",
          "AWS_LAMBDA_INITIALIZATION_TYPE",
          "AWS_LAMBDA_LOG_GROUP_NAME",
          "AWS_LAMBDA_LOG_STREAM_NAME",
          "AWS_LAMBDA_RUNTIME_API",
          "LAMBDA_TASK_ROOT",
          "LAMBDA_RUNTIME_DIR");

  private static final int MAX_VARIABLES_BYTES = 4 * 1024;
  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
  private static final Pattern VARIABLE_NAME = Pattern.compile("[a-zA-Z][a-zA-Z0-9_]*");
  private static final Pattern JAVA_HANDLER =
      Pattern.compile(
          "[\\p{L}_$][\\p{L}\\p{N}_$]*(\\.[\\p{L}_$][\\p{L}\\p{N}_$]*)*(::[\\p{L}_$][\\p{L}\\p{N}_$]*)?");

  /** Lambda's Python handler: a module (dotted package path, or a path with '/') and a function. */
  private static final Pattern PYTHON_HANDLER =
      Pattern.compile("([\\w-]+/)*[A-Za-z_]\\w*(\\.[A-Za-z_]\\w*)*\\.[A-Za-z_]\\w*");

  /**
   * Lambda's Node.js handler: a file (without extension, maybe in a folder) and an export (maybe
   * nested).
   */
  private static final Pattern NODE_HANDLER =
      Pattern.compile("([\\w.-]+/)*[\\w-]+(\\.[A-Za-z_$][\\w$]*)+");

  /**
   * In a cluster, inline code reaches the Pods in a ConfigMap: at most this many bytes of files
   * (the API server's 1 MiB for the object, less room for its metadata).
   */
  public static final int MAX_CLUSTER_INLINE_BYTES = 1000 * 1024;

  private final SizingPolicy sizing;
  private final long maxInlineBytes;

  /** Local mode's: inline code is written to disk, no size limit of a carrier. */
  public FunctionValidator(SizingPolicy sizing) {
    this(sizing, Long.MAX_VALUE);
  }

  private FunctionValidator(SizingPolicy sizing, long maxInlineBytes) {
    this.sizing = sizing;
    this.maxInlineBytes = maxInlineBytes;
  }

  /**
   * A cluster's: inline code must fit in the ConfigMap that carries it ({@link
   * #MAX_CLUSTER_INLINE_BYTES}).
   */
  public static FunctionValidator forCluster(SizingPolicy sizing) {
    return new FunctionValidator(sizing, MAX_CLUSTER_INLINE_BYTES);
  }

  public FunctionConfig validate(Function function) throws InvalidFunctionException {
    List<Violation> violations = new ArrayList<>();
    String name = function.getMetadata() == null ? null : function.getMetadata().getName();
    String namespace =
        function.getMetadata() == null ? null : function.getMetadata().getNamespace();
    if (name == null || name.isEmpty()) {
      violations.add(new Violation("metadata.name", "is required"));
    } else if (!DNS_LABEL.matcher(name).matches()) {
      violations.add(
          new Violation(
              "metadata.name",
              "must be a DNS label: at most 63 lower-case "
                  + "letters, digits and '-', starting and ending with a letter or digit (got '"
                  + name
                  + "')"));
    }
    if (namespace != null && !DNS_LABEL.matcher(namespace).matches()) {
      violations.add(
          new Violation("metadata.namespace", "must be a DNS label (got '" + namespace + "')"));
    }
    FunctionSpec spec = function.getSpec();
    if (spec == null) {
      violations.add(new Violation("spec", "is required"));
      throw new InvalidFunctionException(violations);
    }

    String runtime = spec.getRuntime();
    if (runtime == null) {
      violations.add(new Violation("spec.runtime", "is required: one of " + sorted(RUNTIMES)));
    } else if (!RUNTIMES.contains(runtime)) {
      violations.add(
          new Violation(
              "spec.runtime", "must be one of " + sorted(RUNTIMES) + " (got '" + runtime + "')"));
    }
    String handler = spec.getHandler() == null ? "" : spec.getHandler();
    if ("java21".equals(runtime) && !JAVA_HANDLER.matcher(handler).matches()) {
      violations.add(
          new Violation(
              "spec.handler",
              "must be 'package.Class::method' or "
                  + "'package.Class' for java21 (got '"
                  + handler
                  + "')"));
    }
    if ("python3.11".equals(runtime) && !PYTHON_HANDLER.matcher(handler).matches()) {
      violations.add(
          new Violation(
              "spec.handler",
              "must be 'module.function' for python3.11, the module "
                  + "as a dotted path from the code's root (got '"
                  + handler
                  + "')"));
    }
    if ("nodejs22.x".equals(runtime) && !NODE_HANDLER.matcher(handler).matches()) {
      violations.add(
          new Violation(
              "spec.handler",
              "must be 'file.export' for nodejs22.x, the file "
                  + "without its extension (got '"
                  + handler
                  + "')"));
    }

    CodeSource code = code(spec.getCode(), violations);
    if ("provided".equals(runtime)
        && code instanceof CodeSource.Inline inline
        && !inline.files().containsKey("bootstrap")) {
      violations.add(
          new Violation(
              "spec.code.inline.files",
              "must contain an executable " + "'bootstrap' for the provided runtime"));
    }
    if (code instanceof CodeSource.Inline inline) {
      long bytes = inline.files().values().stream().mapToLong(b -> b.length).sum();
      if (bytes > maxInlineBytes) {
        violations.add(
            new Violation(
                "spec.code.inline",
                "holds "
                    + bytes
                    + " bytes, a ConfigMap at most "
                    + maxInlineBytes
                    + ": put larger code in spec.code.image"));
      }
    }

    int memoryMB = orDefault(spec.getMemoryMB(), FunctionConfig.DEFAULT_MEMORY_MB);
    String memoryRule = sizing.memoryRule(memoryMB);
    if (memoryRule != null) {
      violations.add(new Violation("spec.memoryMB", memoryRule));
    }
    int timeout = orDefault(spec.getTimeoutSeconds(), FunctionConfig.DEFAULT_TIMEOUT_SECONDS);
    checkRange(violations, "spec.timeoutSeconds", timeout, 1, FunctionConfig.MAX_TIMEOUT_SECONDS);
    int initTimeout =
        orDefault(spec.getInitTimeoutSeconds(), FunctionConfig.DEFAULT_INIT_TIMEOUT_SECONDS);
    checkRange(
        violations, "spec.initTimeoutSeconds", initTimeout, 1, FunctionConfig.MAX_TIMEOUT_SECONDS);
    int idleTimeout =
        orDefault(spec.getIdleTimeoutSeconds(), FunctionConfig.DEFAULT_IDLE_TIMEOUT_SECONDS);
    checkRange(violations, "spec.idleTimeoutSeconds", idleTimeout, 1, Integer.MAX_VALUE);
    Integer reserved = spec.getReservedConcurrency();
    if (reserved != null) {
      checkRange(violations, "spec.reservedConcurrency", reserved, 0, Integer.MAX_VALUE);
    }
    int provisioned = orDefault(spec.getProvisionedConcurrency(), 0);
    checkRange(violations, "spec.provisionedConcurrency", provisioned, 0, Integer.MAX_VALUE);
    if (reserved != null && provisioned > reserved) {
      violations.add(
          new Violation(
              "spec.provisionedConcurrency",
              "must not exceed "
                  + "spec.reservedConcurrency ("
                  + provisioned
                  + " > "
                  + reserved
                  + ")"));
    }
    Map<String, String> variables = variables(spec.getEnvironment(), violations);
    FunctionUrl url = url(spec.getUrl(), violations);
    EventInvokeConfig eventInvokeConfig =
        eventInvokeConfig(name, spec.getAsyncInvokeConfig(), violations);

    if (!violations.isEmpty()) {
      throw new InvalidFunctionException(violations);
    }
    Long generation = function.getMetadata().getGeneration();
    return new FunctionConfig(
        namespace == null ? "default" : namespace,
        name,
        function.getMetadata().getUid(),
        generation == null ? 1 : generation,
        runtime,
        handler,
        code,
        memoryMB,
        Duration.ofSeconds(timeout),
        Duration.ofSeconds(initTimeout),
        variables,
        reserved,
        provisioned,
        Duration.ofSeconds(idleTimeout),
        url,
        spec.getQueueAtLimit(),
        eventInvokeConfig);
  }

  private static EventInvokeConfig eventInvokeConfig(
      String name, AsyncInvokeConfig config, List<Violation> violations) {
    if (config == null) {
      return EventInvokeConfig.LAMBDA;
    }
    int retries =
        config.getMaximumRetryAttempts() != null
            ? config.getMaximumRetryAttempts()
            : EventInvokeConfig.LAMBDA.maximumRetryAttempts();
    long age =
        config.getMaximumEventAgeInSeconds() != null
            ? config.getMaximumEventAgeInSeconds()
            : EventInvokeConfig.LAMBDA.maximumEventAge().toSeconds();
    checkRange(violations, "spec.asyncInvokeConfig.maximumRetryAttempts", retries, 0, 2);
    checkRange(
        violations, "spec.asyncInvokeConfig.maximumEventAgeInSeconds", (int) age, 60, 21_600);
    EventDestinationConfig destinations = config.getDestinationConfig();
    return new EventInvokeConfig(
        retries,
        Duration.ofSeconds(age),
        destination(
            name,
            destinations == null ? null : destinations.getOnSuccess(),
            "onSuccess",
            violations),
        destination(
            name,
            destinations == null ? null : destinations.getOnFailure(),
            "onFailure",
            violations));
  }

  /**
   * An Event destination: the rules of every destination, and what a Function's needs besides: a
   * topic's cluster (there is no source cluster to default to), and another function than itself
   * (its records would invoke it again without end).
   */
  private static Destination destination(
      String name, EventDestination spec, String which, List<Violation> violations) {
    String field = "spec.asyncInvokeConfig.destinationConfig." + which;
    Destination destination = Destination.of(spec, field, violations);
    if (destination instanceof Destination.ToTopic topic
        && (topic.bootstrapServers() == null || topic.bootstrapServers().isBlank())) {
      violations.add(
          new Violation(field + ".kafka.bootstrapServers", "is required: the topic's cluster"));
    }
    if (destination instanceof Destination.ToFunction function
        && function.name() != null
        && function.name().equals(name)) {
      violations.add(
          new Violation(
              field + ".function.name",
              "must name another function: a function's "
                  + "records invoking itself would never end (got '"
                  + name
                  + "')"));
    }
    return destination;
  }

  private static FunctionUrl url(FunctionUrlConfig url, List<Violation> violations) {
    if (url == null) {
      return null;
    }
    String authType = url.getAuthType() == null ? "NONE" : url.getAuthType();
    if (!authType.equals("NONE") && !authType.equals("AWS_IAM")) {
      violations.add(
          new Violation("spec.url.authType", "must be NONE or AWS_IAM (got '" + authType + "')"));
    }
    boolean iamAuth = authType.equals("AWS_IAM");
    var cors = url.getCors();
    if (cors == null) {
      return FunctionUrl.noCors(iamAuth);
    }
    boolean credentials = Boolean.TRUE.equals(cors.getAllowCredentials());
    List<String> origins = orEmpty(cors.getAllowOrigins());
    if (credentials && origins.contains("*")) {
      violations.add(
          new Violation(
              "spec.url.cors.allowOrigins",
              "must name the origins when allowCredentials is true "
                  + "(browsers refuse credentials with *)"));
    }
    if (cors.getMaxAge() != null) {
      checkRange(violations, "spec.url.cors.maxAge", cors.getMaxAge(), 0, 86_400);
    }
    return new FunctionUrl(
        iamAuth,
        origins,
        orEmpty(cors.getAllowMethods()),
        orEmpty(cors.getAllowHeaders()),
        orEmpty(cors.getExposeHeaders()),
        credentials,
        cors.getMaxAge());
  }

  private static List<String> orEmpty(List<String> values) {
    return values == null ? List.of() : List.copyOf(values);
  }

  private static CodeSource code(FunctionCode code, List<Violation> violations) {
    int sources =
        code == null
            ? 0
            : (code.getInline() != null ? 1 : 0)
                + (code.getConfigMap() != null ? 1 : 0)
                + (code.getImage() != null ? 1 : 0);
    if (sources != 1) {
      violations.add(
          new Violation(
              "spec.code",
              "must set exactly one of inline, configMap and image" + " (got " + sources + ")"));
      return null;
    }
    if (code.getConfigMap() != null) {
      String name = code.getConfigMap().getName();
      if (name == null || name.isBlank()) {
        violations.add(new Violation("spec.code.configMap.name", "is required"));
      }
      return new CodeSource.FromConfigMap(name);
    }
    if (code.getImage() != null) {
      if (code.getImage().isBlank()) {
        violations.add(new Violation("spec.code.image", "must name an image"));
      }
      return new CodeSource.FromImage(code.getImage());
    }
    return new CodeSource.Inline(files(code.getInline(), violations));
  }

  /** Inline code as files by path; entries that break a rule are left out. */
  public static Map<String, byte[]> inlineFiles(FunctionCode.Inline inline) {
    return files(inline, new ArrayList<>());
  }

  private static Map<String, byte[]> files(FunctionCode.Inline inline, List<Violation> violations) {
    Map<String, byte[]> files = new LinkedHashMap<>();
    if (inline.getFiles() != null) {
      inline
          .getFiles()
          .forEach(
              (path, text) -> {
                if (checkPath(violations, "spec.code.inline.files", path)) {
                  files.put(
                      path, text == null ? new byte[0] : text.getBytes(StandardCharsets.UTF_8));
                }
              });
    }
    if (inline.getBinaryFiles() != null) {
      inline
          .getBinaryFiles()
          .forEach(
              (path, base64) -> {
                String field = "spec.code.inline.binaryFiles";
                if (!checkPath(violations, field, path)) {
                  return;
                }
                if (files.containsKey(path)) {
                  violations.add(
                      new Violation(field + "[" + path + "]", "is also in spec.code.inline.files"));
                  return;
                }
                try {
                  files.put(path, Base64.getMimeDecoder().decode(base64 == null ? "" : base64));
                } catch (IllegalArgumentException e) {
                  violations.add(
                      new Violation(
                          field + "[" + path + "]", "must be base64 (" + e.getMessage() + ")"));
                }
              });
    }
    if (files.isEmpty() && violations.stream().noneMatch(v -> v.field().startsWith("spec.code"))) {
      violations.add(new Violation("spec.code.inline", "must hold at least one file"));
    }
    return files;
  }

  private static boolean checkPath(List<Violation> violations, String field, String path) {
    Path normalized = Path.of(path).normalize();
    if (path.isBlank()
        || normalized.isAbsolute()
        || normalized.startsWith("..")
        || path.contains("\\")) {
      violations.add(
          new Violation(field + "[" + path + "]", "must be a relative path inside the task root"));
      return false;
    }
    return true;
  }

  private static Map<String, String> variables(
      FunctionSpec.FunctionEnvironment environment, List<Violation> violations) {
    if (environment == null || environment.getVariables() == null) {
      return Map.of();
    }
    int bytes = 0;
    Map<String, String> variables = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : environment.getVariables().entrySet()) {
      String field = "spec.environment.variables[" + e.getKey() + "]";
      if (!VARIABLE_NAME.matcher(e.getKey()).matches()) {
        violations.add(
            new Violation(
                field, "name must start with a letter and hold only letters, " + "digits and '_'"));
      } else if (RESERVED_VARIABLES.contains(e.getKey()) || e.getKey().startsWith("KLAMBDA_")) {
        violations.add(new Violation(field, "is reserved: Lambda (or klambda) sets it"));
      }
      String value = e.getValue() == null ? "" : e.getValue();
      bytes +=
          e.getKey().getBytes(StandardCharsets.UTF_8).length
              + value.getBytes(StandardCharsets.UTF_8).length;
      variables.put(e.getKey(), value);
    }
    if (bytes > MAX_VARIABLES_BYTES) {
      violations.add(
          new Violation(
              "spec.environment.variables",
              "must total at most 4 KB " + "(got " + bytes + " bytes)"));
    }
    return variables;
  }

  private static void checkRange(
      List<Violation> violations, String field, int value, int min, int max) {
    if (value < min || value > max) {
      violations.add(
          new Violation(
              field,
              max == Integer.MAX_VALUE
                  ? "must be at least " + min + " (got " + value + ")"
                  : "must be between " + min + " and " + max + " (got " + value + ")"));
    }
  }

  private static int orDefault(Integer value, int fallback) {
    return value == null ? fallback : value;
  }

  private static List<String> sorted(Set<String> values) {
    return values.stream().sorted().toList();
  }
}
