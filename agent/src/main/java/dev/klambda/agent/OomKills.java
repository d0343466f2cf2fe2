package dev.klambda.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * How often the kernel's OOM killer struck in the environment's memory cgroup (the {@code oom_kill}
 * line of cgroup v2's {@code memory.events}, or of v1's {@code memory.oom_control}). A runtime that
 * exits while the count rises was killed for memory, and Lambda then reports the whole Memory Size
 * as Max Memory Used: the runtime's own high-water mark is gone with it. Outside a container (local
 * mode) there may be no such file: the count is unknown and nothing is inferred.
 */
final class OomKills {
  private static final List<Path> FILES =
      List.of(
          Path.of("/sys/fs/cgroup/memory.events"),
          Path.of("/sys/fs/cgroup/memory/memory.oom_control"));

  private final List<Path> files;

  OomKills(List<Path> files) {
    this.files = files;
  }

  static OomKills ofThisCgroup() {
    return new OomKills(FILES);
  }

  /** The count now; -1 when unknown. */
  long count() {
    for (Path file : files) {
      try {
        for (String line : Files.readAllLines(file)) {
          if (line.startsWith("oom_kill ")) {
            return Long.parseLong(line.substring("oom_kill ".length()).trim());
          }
        }
      } catch (IOException | NumberFormatException e) {
        // not this cgroup version, or not in a container
      }
    }
    return -1;
  }

  /** Whether the OOM killer struck since {@code before} was counted. */
  boolean since(long before) {
    return before >= 0 && count() > before;
  }
}
