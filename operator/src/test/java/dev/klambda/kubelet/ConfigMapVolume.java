package dev.klambda.kubelet;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapVolumeSource;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.Base64;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A ConfigMap volume mounted the way the kubelet mounts it: its keys as files in a folder. */
public final class ConfigMapVolume {
  private static final Logger LOG = LoggerFactory.getLogger(ConfigMapVolume.class);
  private static final Duration RETRY = Duration.ofMillis(250);

  private ConfigMapVolume() {}

  /**
   * The volume's ConfigMap once it exists (an empty one if the volume is optional); null when given
   * up first.
   */
  static ConfigMap await(
      KubernetesClient client,
      String namespace,
      ConfigMapVolumeSource source,
      String podKey,
      BooleanSupplier givenUp)
      throws InterruptedException {
    boolean reported = false;
    while (!givenUp.getAsBoolean()) {
      try {
        ConfigMap configMap =
            client.configMaps().inNamespace(namespace).withName(source.getName()).get();
        if (configMap != null) {
          return configMap;
        }
      } catch (KubernetesClientException e) {
        LOG.warn("kubelet fixture: reading ConfigMap {}/{} failed", namespace, source.getName(), e);
      }
      if (Boolean.TRUE.equals(source.getOptional())) {
        return new ConfigMap();
      }
      if (!reported) {
        // what the kubelet does: FailedMount, the container stays in ContainerCreating
        LOG.info("kubelet fixture: pod {} waits for ConfigMap {}", podKey, source.getName());
        reported = true;
      }
      Thread.sleep(RETRY.toMillis());
    }
    return null;
  }

  /** Writes the ConfigMap's keys (or only the volume's items) as files with the volume's modes. */
  public static void write(ConfigMapVolumeSource source, ConfigMap configMap, Path root)
      throws IOException {
    Map<String, byte[]> content = new LinkedHashMap<>();
    if (configMap.getData() != null) {
      configMap.getData().forEach((k, v) -> content.put(k, v.getBytes(StandardCharsets.UTF_8)));
    }
    if (configMap.getBinaryData() != null) {
      configMap.getBinaryData().forEach((k, v) -> content.put(k, Base64.getDecoder().decode(v)));
    }
    int defaultMode = source.getDefaultMode() == null ? 0644 : source.getDefaultMode();
    Files.createDirectories(root);
    List<KeyToPath> items = source.getItems();
    if (items != null && !items.isEmpty()) {
      for (KeyToPath item : items) {
        byte[] bytes = content.get(item.getKey());
        if (bytes == null) {
          if (Boolean.TRUE.equals(source.getOptional())) {
            continue;
          }
          throw new IOException("ConfigMap " + source.getName() + " has no key " + item.getKey());
        }
        int mode = item.getMode() == null ? defaultMode : item.getMode();
        writeFile(root, item.getPath(), bytes, mode);
      }
    } else {
      for (Map.Entry<String, byte[]> file : content.entrySet()) {
        writeFile(root, file.getKey(), file.getValue(), defaultMode);
      }
    }
  }

  private static void writeFile(Path root, String relative, byte[] content, int mode)
      throws IOException {
    Path target = root.resolve(relative).normalize();
    if (relative.isEmpty()
        || Path.of(relative).isAbsolute()
        || !target.startsWith(root)
        || target.equals(root)) {
      throw new IOException("volume item path outside the volume: " + relative);
    }
    Files.createDirectories(target.getParent());
    Files.write(target, content);
    Files.setPosixFilePermissions(target, permissions(mode));
  }

  /** An octal file mode (0555) as permissions; the owner may always read it (as root would). */
  private static Set<PosixFilePermission> permissions(int mode) {
    Set<PosixFilePermission> permissions = EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] bits = {
      PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE,
      PosixFilePermission.OTHERS_READ, PosixFilePermission.GROUP_EXECUTE,
      PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
      PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE,
      PosixFilePermission.OWNER_READ
    };
    for (int bit = 0; bit < bits.length; bit++) {
      if ((mode & (1 << bit)) != 0) {
        permissions.add(bits[bit]);
      }
    }
    return permissions;
  }
}
