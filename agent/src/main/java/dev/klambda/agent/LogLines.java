package dev.klambda.agent;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** A process's output bytes as log lines: each line goes to the sink once it is complete. */
final class LogLines implements LogDecoder {
  private final LogSink logs;
  private final ByteArrayOutputStream partial = new ByteArrayOutputStream();

  LogLines(LogSink logs) {
    this.logs = logs;
  }

  @Override
  public void write(byte[] bytes, int length) {
    write(bytes, 0, length);
  }

  void write(byte[] bytes, int offset, int length) {
    for (int i = offset; i < offset + length; i++) {
      if (bytes[i] == '\n') {
        logs.line(partial.toString(StandardCharsets.UTF_8));
        partial.reset();
      } else {
        partial.write(bytes[i]);
      }
    }
  }

  /** The line so far, without its newline (the process ended, or answered, without one). */
  @Override
  public void flush() {
    if (partial.size() > 0) {
      logs.line(partial.toString(StandardCharsets.UTF_8));
      partial.reset();
    }
  }
}
