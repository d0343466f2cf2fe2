package dev.klambda.environments;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Map;

/** Writes a function's code files into a folder that becomes its task root. */
final class TaskRoot {
  private TaskRoot() {}

  static Path write(Map<String, byte[]> files, Path root) throws IOException {
    Files.createDirectories(root);
    for (Map.Entry<String, byte[]> file : files.entrySet()) {
      Path target = root.resolve(file.getKey()).normalize();
      if (!target.startsWith(root)) {
        throw new IOException("file outside the task root: " + file.getKey());
      }
      Files.createDirectories(target.getParent());
      Files.write(target, file.getValue());
      Files.setPosixFilePermissions(
          target,
          PosixFilePermissions.fromString(
              executable(file.getKey(), file.getValue()) ? "rwxr-xr-x" : "rw-r--r--"));
    }
    return root;
  }

  /** Manifests carry no file modes: bootstrap, extensions and scripts with a shebang run. */
  static boolean executable(String path, byte[] content) {
    return path.equals("bootstrap")
        || path.startsWith("extensions/")
        || (content.length >= 2
            && Arrays.equals(Arrays.copyOf(content, 2), "#!".getBytes(StandardCharsets.US_ASCII)));
  }
}
