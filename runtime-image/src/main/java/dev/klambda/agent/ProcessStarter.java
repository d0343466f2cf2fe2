package dev.klambda.agent;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** Starts the environment's processes: the runtime and its extensions. */
interface ProcessStarter extends AutoCloseable {
  /**
   * Starts {@code command} in {@code workDir} with exactly {@code env}, its output going to the
   * log sink line by line.
   */
  ChildProcess start(String name, List<String> command, Map<String, String> env, Path workDir)
      throws IOException, InterruptedException;

  /** Waits until processes can be started (the function's container is up). */
  default void awaitReady(Duration limit) throws IOException, InterruptedException {}

  /**
   * Whether processes can still be started: false once the function's container is gone (there
   * is nothing left to run the function in).
   */
  default boolean usable() {
    return true;
  }

  @Override
  default void close() {}
}
