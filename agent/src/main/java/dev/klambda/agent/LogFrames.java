package dev.klambda.agent;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The records the official runtime interface clients (Java, Python, Node.js) write to the
 * descriptor named by {@code _LAMBDA_TELEMETRY_LOG_FD}: each is one log record however many lines
 * it has (a stack trace), where their plain stdout would split it, or join two {@code log()} calls
 * without a newline into one line. A frame is a 4-byte type ({@code a5 5a 00} and a byte of level
 * and format flags), a 4-byte length and an 8-byte timestamp (microseconds), big-endian, then the
 * message. The record goes to the sink as one line: its own line breaks become {@code \r}, as
 * Lambda's Node.js runtime does for stdout so that a record stays one log event.
 *
 * <p>Bytes that are not a frame (something else wrote to the descriptor) turn the rest of the
 * stream into plain lines rather than be lost.
 */
final class LogFrames implements LogDecoder {
  private static final int HEADER_BYTES = 16;
  private static final int MAGIC = 0xa55a0000;
  private static final int MAGIC_MASK = 0xffffff00;

  /** Lambda truncates a log event at 256 KB; a longer "length" is not a frame of ours. */
  private static final int MAX_MESSAGE_BYTES = 1024 * 1024;

  private final LogSink logs;
  private final LogLines plain;
  private final ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES);
  private byte[] message;
  private int filled;
  private boolean unframed;

  LogFrames(LogSink logs) {
    this.logs = logs;
    this.plain = new LogLines(logs);
  }

  @Override
  public void write(byte[] bytes, int length) {
    int at = 0;
    while (at < length) {
      if (unframed) {
        plain.write(bytes, at, length - at);
        return;
      }
      if (message == null) {
        int take = Math.min(header.remaining(), length - at);
        header.put(bytes, at, take);
        at += take;
        if (!header.hasRemaining()) {
          startMessage(bytes, at, length);
        }
      } else {
        int take = Math.min(message.length - filled, length - at);
        System.arraycopy(bytes, at, message, filled, take);
        filled += take;
        at += take;
      }
      if (message != null && filled == message.length) {
        record(message, message.length);
        message = null;
        header.clear();
      }
    }
  }

  private void startMessage(byte[] bytes, int at, int length) {
    int type = header.getInt(0);
    int size = header.getInt(4);
    if ((type & MAGIC_MASK) != MAGIC || size < 0 || size > MAX_MESSAGE_BYTES) {
      unframed = true;
      plain.write(header.array(), HEADER_BYTES);
      return;
    }
    message = new byte[size];
    filled = 0;
  }

  /** One record as one line: without its trailing line break, inner ones as {@code \r}. */
  private void record(byte[] bytes, int length) {
    String text = new String(bytes, 0, length, StandardCharsets.UTF_8);
    int end = text.length();
    while (end > 0 && (text.charAt(end - 1) == '\n' || text.charAt(end - 1) == '\r')) {
      end--;
    }
    logs.line(text.substring(0, end).replace("\r\n", "\r").replace('\n', '\r'));
  }

  /**
   * A frame in progress is not cut: its writer is finishing it (header and message are two writes).
   */
  @Override
  public void flush() {
    if (unframed) {
      plain.flush();
    }
  }

  @Override
  public void end() {
    if (unframed) {
      plain.flush();
    } else if (message != null && filled > 0) {
      // a record cut short (the process ended mid-write): what arrived of it
      record(message, filled);
      message = null;
      header.clear();
    }
  }
}
