package dev.klambda.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

/** Function manifests for tests: real bash bootstraps, real handler jars. */
public final class Manifests {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * A bash runtime in the style of AWS's custom-runtime tutorial. {@code handler} is the body of a
   * bash function {@code handle} that gets the request id as $1 and the event as $2, and may call
   * {@code respond ID BODY} or {@code fail ID TYPE MESSAGE}; $CLIENT_CONTEXT holds the client
   * context header. {@code init} runs once before the loop.
   */
  public static String bashRuntime(String init, String handler) {
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
        %s
        # the headers parsed by bash itself: a fork per tool per invocation made this loop the
        # slowest part of every test that bursts at a bash function
        headers="${TMPDIR:-/tmp}/klambda-runtime-headers.$$"
        while true; do
          event="$(curl -sS -D "$headers" "$api/invocation/next")"
          id=""
          CLIENT_CONTEXT=""
          while IFS= read -r line; do
            line="${line%%$'\\r'}"
            case "${line,,}" in
              lambda-runtime-aws-request-id:*) id="${line#*:}"; id="${id//[[:space:]]/}" ;;
              lambda-runtime-client-context:*) CLIENT_CONTEXT="${line#*: }" ;;
            esac
          done < "$headers"
          handle "$id" "$event"
        done
        """
        .formatted(handler, init);
  }

  public static Map<String, Object> function(String name, Map<String, Object> spec) {
    Map<String, Object> function = new LinkedHashMap<>();
    function.put("apiVersion", "klambda.dev/v1alpha1");
    function.put("kind", "Function");
    function.put("metadata", Map.of("name", name));
    function.put("spec", spec);
    return function;
  }

  public static Map<String, Object> provided(
      String name, String bootstrap, Map<String, Object> extra) {
    Map<String, Object> spec = new LinkedHashMap<>(extra);
    spec.put("runtime", "provided");
    spec.put("code", Map.of("inline", Map.of("files", Map.of("bootstrap", bootstrap))));
    return function(name, spec);
  }

  public static Map<String, Object> java21(
      String name, String handler, byte[] jar, Map<String, Object> extra) {
    Map<String, Object> spec = new LinkedHashMap<>(extra);
    spec.put("runtime", "java21");
    spec.put("handler", handler);
    spec.put("memoryMB", 512);
    spec.put(
        "code",
        Map.of(
            "inline",
            Map.of(
                "binaryFiles", Map.of("function.jar", Base64.getEncoder().encodeToString(jar)))));
    return function(name, spec);
  }

  /**
   * A nodejs22.x function of the JavaScript in test resources' {@code nodejs-function/} (CommonJS,
   * ES module and callback handlers, a dependency in its node_modules), with {@code handler}.
   */
  public static Map<String, Object> nodejs(String name, String handler, Map<String, Object> extra) {
    Map<String, Object> spec = new LinkedHashMap<>(extra);
    spec.put("runtime", "nodejs22.x");
    spec.put("handler", handler);
    spec.put(
        "code",
        Map.of(
            "inline", Map.of("files", textFiles(Path.of("target/test-classes/nodejs-function")))));
    return function(name, spec);
  }

  /** The files under {@code folder} by their path in it. */
  private static Map<String, String> textFiles(Path folder) {
    Map<String, String> files = new LinkedHashMap<>();
    try (Stream<Path> paths = Files.walk(folder)) {
      for (Path file : paths.filter(Files::isRegularFile).toList()) {
        files.put(folder.relativize(file).toString().replace('\\', '/'), Files.readString(file));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return files;
  }

  /** {@code manifest} (a Function's, a Secret's) placed in {@code namespace}. */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> inNamespace(String namespace, Map<String, Object> manifest) {
    Map<String, Object> copy = new LinkedHashMap<>(manifest);
    Map<String, Object> metadata =
        new LinkedHashMap<>((Map<String, Object>) manifest.get("metadata"));
    metadata.put("namespace", namespace);
    copy.put("metadata", metadata);
    return copy;
  }

  /** An access key: a Secret of type klambda.dev/access-key acting as {@code serviceAccount}. */
  public static Map<String, Object> accessKey(
      String namespace, String name, String accessKeyId, String secret, String serviceAccount) {
    Map<String, Object> key = new LinkedHashMap<>();
    key.put("apiVersion", "v1");
    key.put("kind", "Secret");
    key.put(
        "metadata",
        Map.of(
            "name",
            name,
            "namespace",
            namespace,
            "annotations",
            Map.of("klambda.dev/service-account", serviceAccount)));
    key.put("type", "klambda.dev/access-key");
    key.put("stringData", Map.of("accessKeyId", accessKeyId, "secretAccessKey", secret));
    return key;
  }

  /** Writes the functions as one multi-document YAML file (JSON is YAML). */
  public static Path write(Path file, List<Map<String, Object>> functions) throws IOException {
    StringBuilder yaml = new StringBuilder();
    for (Map<String, Object> function : functions) {
      yaml.append("---\n").append(JSON.writeValueAsString(function)).append('\n');
    }
    return Files.writeString(file, yaml);
  }

  /** A jar of the compiled classes of {@code dev.klambda.testfunctions}. */
  public static byte[] testFunctionsJar() {
    Path classes = Path.of("target/test-classes");
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (JarOutputStream jar = new JarOutputStream(bytes);
        Stream<Path> files = Files.walk(classes.resolve("dev/klambda/testfunctions"))) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        jar.putNextEntry(new JarEntry(classes.relativize(file).toString().replace('\\', '/')));
        jar.write(Files.readAllBytes(file));
        jar.closeEntry();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  private Manifests() {}
}
