package dev.klambda.agent;

/**
 * Custom runtimes in bash and curl for the agent's tests, on the loop of AWS's custom runtime
 * tutorial: after the prelude's definitions, forever take the next event into {@code $event} and
 * its request id into {@code $request_id}, then run the body, which posts the answer.
 */
final class BashRuntime {
  private BashRuntime() {}

  static String loop(String prelude, String body) {
    return """
        #!/bin/bash
        set -euo pipefail
        api="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
        PRELUDE
        while true; do
          headers="$(mktemp)"
          event="$(curl -sS -D "$headers" "$api/invocation/next")"
          request_id="$(grep -Fi Lambda-Runtime-Aws-Request-Id "$headers" | tr -d '[:space:]' | cut -d: -f2)"
          rm -f "$headers"
        BODY
        done
        """
        .replace("PRELUDE", prelude)
        .replace("BODY", body);
  }
}
