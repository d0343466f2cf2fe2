package dev.klambda.environments;

import dev.klambda.agent.PoolClaim;
import io.fabric8.kubernetes.api.model.ConfigMap;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A function's code as the files a warm-pool member is given, with the modes its code volume would
 * have had in an environment started for the function.
 */
public final class CodeFiles {
  private CodeFiles() {}

  /** Inline code: executable as {@link TaskRoot#executable} says. */
  public static Map<String, PoolClaim.CodeFile> inline(Map<String, byte[]> files) {
    Map<String, PoolClaim.CodeFile> code = new LinkedHashMap<>();
    files.forEach(
        (path, content) ->
            code.put(path, new PoolClaim.CodeFile(content, TaskRoot.executable(path, content))));
    return code;
  }

  /** A user's ConfigMap: every key a file, all executable (the volume's default mode 0555). */
  public static Map<String, PoolClaim.CodeFile> of(ConfigMap configMap) {
    Map<String, PoolClaim.CodeFile> code = new LinkedHashMap<>();
    if (configMap.getData() != null) {
      configMap
          .getData()
          .forEach(
              (key, text) ->
                  code.put(
                      key, new PoolClaim.CodeFile(text.getBytes(StandardCharsets.UTF_8), true)));
    }
    if (configMap.getBinaryData() != null) {
      configMap
          .getBinaryData()
          .forEach(
              (key, base64) ->
                  code.put(key, new PoolClaim.CodeFile(Base64.getDecoder().decode(base64), true)));
    }
    return code;
  }
}
