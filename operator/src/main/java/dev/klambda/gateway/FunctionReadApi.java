package dev.klambda.gateway;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.klambda.auth.Action;
import dev.klambda.auth.Identity;
import dev.klambda.auth.InvokeGuard;
import dev.klambda.auth.Refusal;
import dev.klambda.function.CodeSource;
import dev.klambda.function.FunctionConfig;
import dev.klambda.function.InvokePath;
import dev.klambda.routing.FunctionRegistry;
import dev.klambda.routing.ServiceException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Map;
import java.util.TreeMap;

/**
 * The read operations of the Lambda API, so AWS tooling that looks before it invokes works: {@code
 * GetFunction}, {@code GetFunctionConfiguration} and {@code ListFunctions} (with {@code Marker} and
 * {@code MaxItems}), answered from the Functions this gateway serves in Lambda's JSON shapes. RBAC
 * decides as for invocations, with verbs {@code get} and {@code list} on functions.klambda.dev; a
 * listing shows the namespaces the caller may list. Writes stay with {@code kubectl apply}: {@code
 * CreateFunction} and the other writes are refused, saying so.
 */
final class FunctionReadApi {
  static final String LIST_PATH = "/2015-03-31/functions";
  private static final int DEFAULT_MAX_ITEMS = 50;
  private static final int MAX_ITEMS = 10_000;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final FunctionRegistry registry;
  private final InvokeGuard guard;

  FunctionReadApi(FunctionRegistry registry, InvokeGuard guard) {
    this.registry = registry;
    this.guard = guard;
  }

  /** Whether the request is a Lambda API call on functions that is not an invocation. */
  static boolean handles(GatewayExchange exchange) {
    String path = exchange.rawPath();
    return (path.equals(LIST_PATH)
        || path.equals(LIST_PATH + "/")
        || path.startsWith(InvokePath.PREFIX) && !path.endsWith(InvokePath.SUFFIX));
  }

  void handle(GatewayExchange exchange) {
    exchange.responseHeaders().set("x-amzn-RequestId", java.util.UUID.randomUUID().toString());
    try {
      String path = exchange.rawPath();
      if (path.equals(LIST_PATH) || path.equals(LIST_PATH + "/")) {
        if (!exchange.method().equals("GET")) {
          throw writesStayWithKubectl("CreateFunction");
        }
        list(exchange);
        return;
      }
      String rest = path.substring(InvokePath.PREFIX.length());
      boolean configuration = rest.endsWith("/configuration");
      String name =
          configuration ? rest.substring(0, rest.length() - "/configuration".length()) : rest;
      if (name.isEmpty() || name.contains("/")) {
        // another operation on a function (aliases, policy, concurrency, ...): not served
        throw ServiceException.unknownOperation(exchange.method(), path);
      }
      if (!exchange.method().equals("GET")) {
        throw writesStayWithKubectl(
            configuration ? "UpdateFunctionConfiguration" : "DeleteFunction");
      }
      FunctionConfig function = readable(exchange, URLDecoder.decode(name, StandardCharsets.UTF_8));
      ObjectNode config = configuration(function);
      if (configuration) {
        send(exchange, 200, config);
        return;
      }
      ObjectNode answer = JSON.createObjectNode();
      answer.set("Configuration", config);
      ObjectNode code = answer.putObject("Code");
      if (function.code() instanceof CodeSource.FromImage image) {
        code.put("RepositoryType", "ECR").put("ImageUri", image.image());
      } else {
        code.put(
            "RepositoryType",
            "Kubernetes"); // the code is in the Function (or its ConfigMap), not in S3
      }
      if (function.reservedConcurrency() != null) {
        answer
            .putObject("Concurrency")
            .put("ReservedConcurrentExecutions", function.reservedConcurrency());
      }
      send(exchange, 200, answer);
    } catch (ServiceException e) {
      InvokeApi.sendError(exchange, e);
    } catch (IllegalArgumentException e) {
      InvokeApi.sendError(
          exchange,
          ServiceException.invalidParameter("FunctionName must be URL-encoded: " + e.getMessage()));
    }
  }

  /** The function, once the caller may get it: refused before its existence is told. */
  private FunctionConfig readable(GatewayExchange exchange, String functionName)
      throws ServiceException {
    InvokeApi.authorize(registry, guard, exchange, Action.GET, functionName, true);
    return registry.find(functionName);
  }

  private void list(GatewayExchange exchange) throws ServiceException {
    String maxItemsParameter = InvokeApi.queryParameter(exchange, "MaxItems");
    int maxItems = DEFAULT_MAX_ITEMS;
    if (maxItemsParameter != null) {
      try {
        maxItems = Integer.parseInt(maxItemsParameter);
      } catch (NumberFormatException e) {
        maxItems = -1;
      }
      if (maxItems < 1 || maxItems > MAX_ITEMS) {
        throw ServiceException.invalidParameter("MaxItems must be a number from 1 to " + MAX_ITEMS);
      }
    }
    String marker = InvokeApi.queryParameter(exchange, "Marker");
    Identity caller;
    try {
      caller = guard.caller(exchange);
    } catch (Refusal refusal) {
      throw ServiceException.refused(refusal);
    }
    Map<String, Boolean> listable = new TreeMap<>();
    ArrayNode functions = JSON.createArrayNode();
    String last = null;
    for (FunctionConfig function : registry.functions()) {
      // the marker is the key of the last function of the page before: the order is stable
      if (marker != null && function.key().compareTo(marker) <= 0) {
        continue;
      }
      if (!listable.computeIfAbsent(
          function.namespace(), namespace -> mayList(caller, namespace))) {
        continue;
      }
      if (functions.size() == maxItems) {
        ObjectNode page = JSON.createObjectNode();
        page.set("Functions", functions);
        page.put("NextMarker", last);
        send(exchange, 200, page);
        return;
      }
      functions.add(configuration(function));
      last = function.key();
    }
    ObjectNode page = JSON.createObjectNode();
    page.set("Functions", functions);
    send(exchange, 200, page);
  }

  private boolean mayList(Identity caller, String namespace) {
    try {
      return guard.allows(caller, Action.LIST, namespace);
    } catch (Refusal unavailable) {
      return false; // the API server cannot be asked: list nothing of that namespace rather than
      // all
    }
  }

  /** Lambda's FunctionConfiguration of what klambda knows of the function. */
  private ObjectNode configuration(FunctionConfig function) {
    ObjectNode config =
        JSON.createObjectNode()
            .put("FunctionName", function.name())
            .put("FunctionArn", function.arn(registry.region()))
            .put("Runtime", function.runtime())
            .put("Handler", function.handler())
            .put("CodeSize", codeSize(function))
            .put("Description", "")
            .put("Timeout", function.timeout().toSeconds())
            .put("MemorySize", function.memoryMB())
            .put("Version", "$LATEST")
            .put("State", "Active")
            .put("LastUpdateStatus", "Successful")
            .put("PackageType", function.code() instanceof CodeSource.FromImage ? "Image" : "Zip");
    String sha = codeSha256(function);
    if (sha != null) {
      config.put("CodeSha256", sha);
    }
    config
        .putObject("Environment")
        .set("Variables", JSON.valueToTree(new TreeMap<>(function.variables())));
    config.putArray("Architectures").add("x86_64");
    config.putObject("EphemeralStorage").put("Size", 512);
    config.putObject("TracingConfig").put("Mode", "PassThrough");
    return config;
  }

  /** Inline code's bytes (a ConfigMap's or an image's are not read here: 0). */
  private static long codeSize(FunctionConfig function) {
    return function.code() instanceof CodeSource.Inline inline
        ? inline.files().values().stream().mapToLong(bytes -> bytes.length).sum()
        : 0;
  }

  /**
   * Base64 of a SHA-256 over the inline files in name order (name, then content): it changes when
   * the code does, as Lambda's hash of the deployment package does; null for other code.
   */
  private static String codeSha256(FunctionConfig function) {
    if (!(function.code() instanceof CodeSource.Inline inline)) {
      return null;
    }
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      new TreeMap<>(inline.files())
          .forEach(
              (name, bytes) -> {
                digest.update(name.getBytes(StandardCharsets.UTF_8));
                digest.update(bytes);
              });
      return Base64.getEncoder().encodeToString(digest.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  private static ServiceException writesStayWithKubectl(String operation) {
    return ServiceException.unsupported(
        "klambda does not serve "
            + operation
            + ": Functions are created and changed with kubectl apply (kind: Function, apiVersion: klambda.dev/v1alpha1)");
  }

  private static void send(GatewayExchange exchange, int status, ObjectNode body) {
    try {
      exchange.responseHeaders().set("Content-Type", "application/json");
      exchange.respond(status, JSON.writeValueAsBytes(body));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
