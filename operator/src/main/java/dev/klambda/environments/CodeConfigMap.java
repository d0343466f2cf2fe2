package dev.klambda.environments;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.KeyToPathBuilder;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Inline code as a ConfigMap: one key per file (ConfigMap keys cannot hold '/', so nested paths get
 * a key of their own and an item that mounts it at its path), text in data, the rest in binaryData.
 * Pure: the controller writes it, the Pod template mounts it.
 */
public final class CodeConfigMap {
  private CodeConfigMap() {}

  public static String name(String functionName) {
    return functionName + "-code";
  }

  /** The ConfigMap key of a file path: the path itself when it is a valid key. */
  public static String key(String path) {
    String key = path.replaceAll("[^-._a-zA-Z0-9]", "_");
    if (key.equals(path)) {
      return key;
    }
    return key + "-" + HexFormat.of().toHexDigits(path.hashCode());
  }

  public static ConfigMap build(String namespace, String functionName, Map<String, byte[]> files) {
    Map<String, String> data = new TreeMap<>();
    Map<String, String> binaryData = new TreeMap<>();
    files.forEach(
        (path, content) -> {
          String text = utf8(content);
          if (text != null) {
            data.put(key(path), text);
          } else {
            binaryData.put(key(path), Base64.getEncoder().encodeToString(content));
          }
        });
    return new ConfigMapBuilder()
        .withNewMetadata()
        .withNamespace(namespace)
        .withName(name(functionName))
        .withLabels(
            Map.of(
                EnvironmentPodTemplate.MANAGED_BY,
                "klambda",
                EnvironmentPodTemplate.FUNCTION,
                functionName))
        .endMetadata()
        .withData(data)
        .withBinaryData(binaryData)
        .build();
  }

  /** The volume items: every file at its path, executable where local mode would make it so. */
  public static List<KeyToPath> items(Map<String, byte[]> files) {
    List<KeyToPath> items = new ArrayList<>();
    new TreeMap<>(files)
        .forEach(
            (path, content) ->
                items.add(
                    new KeyToPathBuilder()
                        .withKey(key(path))
                        .withPath(path)
                        .withMode(TaskRoot.executable(path, content) ? 0555 : 0444)
                        .build()));
    return items;
  }

  private static String utf8(byte[] content) {
    try {
      return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(content)).toString();
    } catch (CharacterCodingException binary) {
      return null;
    }
  }
}
