package dev.klambda.agent;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** Starts the environment's processes: the runtime and its extensions. */
interface ProcessStarter extends AutoCloseable {
  /**
   * The descriptor the runtime gets for framed log records ({@link LogFrames}), named to it in
   * {@code _LAMBDA_TELEMETRY_LOG_FD}: the first after stdin, stdout and stderr.
   */
  int TELEMETRY_LOG_FD = 3;

  /**
   * Starts {@code command} in {@code workDir} with exactly {@code env}, its stdout and stderr going
   * to the log sink line by line; with {@code telemetryLog}, descriptor {@link #TELEMETRY_LOG_FD}
   * too, record by record.
   */
  ChildProcess start(
      String name,
      List<String> command,
      Map<String, String> env,
      Path workDir,
      boolean telemetryLog)
      throws IOException, InterruptedException;

  /** Waits until processes can be started (the function's container is up). */
  default void awaitReady(Duration limit) throws IOException, InterruptedException {}

  /**
   * Whether processes can still be started: false once the function's container is gone (there is
   * nothing left to run the function in).
   */
  default boolean usable() {
    return true;
  }

  @Override
  default void close() {}
}
