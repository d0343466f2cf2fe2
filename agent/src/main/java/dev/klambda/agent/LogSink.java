package dev.klambda.agent;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;

/**
 * Where every log line of the environment goes: the agent's stdout (so {@code kubectl logs} and
 * local mode show it) and, while an invocation runs, a capture whose last 4 KB become the {@code
 * X-Amz-Log-Result} of a {@code Tail} invocation.
 */
final class LogSink {
  static final int TAIL_BYTES = 4096;

  private final PrintStream out;
  private StringBuilder capture;

  LogSink(PrintStream out) {
    this.out = out;
  }

  synchronized void line(String line) {
    out.println(line);
    if (capture != null) {
      capture.append(line).append('\n');
      if (capture.length() > 2 * TAIL_BYTES) {
        capture.delete(0, capture.length() - TAIL_BYTES);
      }
    }
  }

  /** Several lines written at once. */
  void lines(String... lines) {
    line(String.join("\n", lines));
  }

  synchronized void startCapture() {
    capture = new StringBuilder();
  }

  /** Ends the capture and returns the base64 of its last 4 KB (UTF-8), as Lambda's log tail. */
  synchronized String endCapture() {
    byte[] bytes =
        capture == null ? new byte[0] : capture.toString().getBytes(StandardCharsets.UTF_8);
    capture = null;
    if (bytes.length > TAIL_BYTES) {
      bytes = Arrays.copyOfRange(bytes, bytes.length - TAIL_BYTES, bytes.length);
    }
    return Base64.getEncoder().encodeToString(bytes);
  }
}
