package dev.klambda.testing;

import dev.klambda.agent.Docker;
import dev.klambda.kubelet.ConfigMapVolume;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The Pod's volumes set up as the kubelet sets them up before any container starts, each shared by
 * every container that mounts it:
 *
 * <ul>
 *   <li>emptyDir: a folder of mode 0777 on the host's disk (the kubelet's is under
 *       /var/lib/kubelet/pods), bind-mounted, so it allows exec like a Pod's; with {@code medium:
 *       Memory} a tmpfs docker volume of the size limit. A disk emptyDir's size limit is not
 *       enforced (the kubelet only evicts, later).
 *   <li>configMap: the ConfigMap's files written into a folder with the volume's modes (the kubelet
 *       fixture's {@link ConfigMapVolume}), bind-mounted read-only as the kubelet does.
 * </ul>
 */
final class PodVolumes implements AutoCloseable {
  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);

  /** How one volume reaches a container: {@code --mount} type and source. */
  private record Source(String type, String source, boolean alwaysReadOnly) {}

  private final Path root;
  private final String label;
  private final Map<String, Source> sources = new HashMap<>();

  private PodVolumes(Path root, String label) {
    this.root = root;
    this.label = label;
  }

  /**
   * @param root a folder of this Pod's own, removed on close
   * @param label {@code key=value} put on the docker volumes made
   * @param configMaps the ConfigMaps the Pod's configMap volumes name, by name
   */
  static PodVolumes create(
      PodSandbox sandbox, Path root, String label, Map<String, ConfigMap> configMaps)
      throws IOException {
    PodVolumes volumes = new PodVolumes(root.toAbsolutePath(), label);
    try {
      Files.createDirectories(root);
      for (Volume volume : list(sandbox.pod().getSpec().getVolumes())) {
        volumes.sources.put(volume.getName(), volumes.setUp(sandbox, volume, configMaps));
      }
      return volumes;
    } catch (IOException | RuntimeException e) {
      volumes.close();
      throw e;
    }
  }

  /** {@code --mount} for one of a container's volume mounts. */
  List<String> mountOptions(VolumeMount mount) {
    Source source = sources.get(mount.getName());
    if (source == null) {
      throw new IllegalArgumentException(
          "volume mount of an undeclared volume: " + mount.getName());
    }
    String from = source.source();
    if (mount.getSubPath() != null && !mount.getSubPath().isEmpty()) {
      if (!source.type().equals("bind")) {
        throw new UnsupportedOperationException(
            "subPath of a tmpfs emptyDir (" + mount.getName() + ")");
      }
      from = Path.of(from).resolve(mount.getSubPath()).toString();
    }
    boolean readOnly = source.alwaysReadOnly() || Boolean.TRUE.equals(mount.getReadOnly());
    return List.of(
        "--mount",
        "type="
            + source.type()
            + ",source="
            + from
            + ",target="
            + mount.getMountPath()
            + (readOnly ? ",readonly" : ""));
  }

  private Source setUp(PodSandbox sandbox, Volume volume, Map<String, ConfigMap> configMaps)
      throws IOException {
    if (volume.getConfigMap() != null) {
      ConfigMap configMap = configMaps.get(volume.getConfigMap().getName());
      if (configMap == null) {
        // the kubelet would wait (FailedMount); a benchmark must not
        throw new IllegalArgumentException(
            "no ConfigMap "
                + volume.getConfigMap().getName()
                + " given for volume "
                + volume.getName());
      }
      Path folder = folder(volume, "rwxr-xr-x");
      ConfigMapVolume.write(volume.getConfigMap(), configMap, folder);
      return new Source("bind", folder.toString(), true);
    }
    if ("Memory".equals(volume.getEmptyDir().getMedium())) {
      String name = sandbox.name() + "_" + volume.getName();
      Quantity limit = volume.getEmptyDir().getSizeLimit();
      String size = limit == null ? "" : ",size=" + limit.getNumericalAmount().toBigInteger();
      Docker.docker(
          "volume",
          "create",
          "--label",
          label,
          "--driver",
          "local",
          "--opt",
          "type=tmpfs",
          "--opt",
          "device=tmpfs",
          "--opt",
          "o=mode=1777" + size,
          name);
      return new Source("volume", name, false);
    }
    return new Source("bind", folder(volume, "rwxrwxrwx").toString(), false);
  }

  private Path folder(Volume volume, String permissions) throws IOException {
    Path folder = Files.createDirectories(root.resolve(volume.getName()));
    // set explicitly: the umask must not decide what uid 10001 may do
    Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString(permissions));
    return folder;
  }

  /** Removes the docker volumes (by label, so also those of a half-done create) and the folders. */
  @Override
  public void close() {
    String ids =
        Docker.run(
                COMMAND_TIMEOUT, null, "docker", "volume", "ls", "-q", "--filter", "label=" + label)
            .stdout()
            .strip();
    if (!ids.isEmpty()) {
      List<String> rm = new ArrayList<>(List.of("docker", "volume", "rm", "-f"));
      rm.addAll(List.of(ids.split("\\s+")));
      Docker.run(COMMAND_TIMEOUT, null, rm.toArray(String[]::new));
    }
    if (Files.exists(root)) {
      try (Stream<Path> files = Files.walk(root)) {
        for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(file);
        }
      } catch (IOException e) {
        throw new IllegalStateException("cannot remove " + root, e);
      }
    }
  }

  private static <T> List<T> list(List<T> values) {
    return values == null ? List.of() : values;
  }
}
