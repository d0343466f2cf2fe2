package dev.klambda.e2e;

import java.util.LinkedHashMap;
import java.util.Map;

/** Function manifests built in the tests: bash bootstraps in the style of AWS's custom-runtime tutorial. */
final class TestFunctions {
  private TestFunctions() {}

  /**
   * A bash runtime: {@code handler} is the body of a bash function {@code handle} that gets the
   * request id as $1 and the event as $2 and calls {@code respond ID BODY} or
   * {@code fail ID TYPE MESSAGE}.
   */
  static String bashRuntime(String handler) {
    return """
        #!/bin/bash
        set -uo pipefail
        api="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
        respond() { curl -sS -X POST "$api/invocation/$1/response" -d "$2" > /dev/null; }
        fail() {
          curl -sS -X POST "$api/invocation/$1/error" -H "Lambda-Runtime-Function-Error-Type: $2" \\
            -d "{\\"errorMessage\\":\\"$3\\",\\"errorType\\":\\"$2\\"}" > /dev/null
        }
        handle() {
        %s
        }
        while true; do
          headers="$(mktemp)"
          event="$(curl -sS -D "$headers" "$api/invocation/next")"
          id="$(grep -Fi Lambda-Runtime-Aws-Request-Id "$headers" | tr -d '[:space:]' | cut -d: -f2)"
          rm -f "$headers"
          handle "$id" "$event"
        done
        """.formatted(handler);
  }

  /** A {@code provided} Function with inline code; {@code spec} adds memoryMB, timeouts, ... */
  static Map<String, Object> provided(String name, String bootstrap, Map<String, Object> spec) {
    Map<String, Object> fullSpec = new LinkedHashMap<>(spec);
    fullSpec.put("runtime", "provided");
    fullSpec.put("code", Map.of("inline", Map.of("files", Map.of("bootstrap", bootstrap))));
    Map<String, Object> function = new LinkedHashMap<>();
    function.put("apiVersion", KlambdaCluster.API_VERSION);
    function.put("kind", "Function");
    function.put("metadata", Map.of("name", name));
    function.put("spec", fullSpec);
    return function;
  }
}
