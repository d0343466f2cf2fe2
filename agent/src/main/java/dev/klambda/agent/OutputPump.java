package dev.klambda.agent;

import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Copies a child process's output into the {@link LogSink} line by line. It polls instead of
 * blocking in {@code read} (a process stream's {@code read} holds the lock {@code available}
 * needs), so {@link #drain} can copy what the runtime printed just before it answered, and the
 * invocation's log tail includes those lines. (The launcher's connections need no polling: {@link
 * ChannelOutputPump}.)
 */
final class OutputPump {
  private static final long MIN_PAUSE_NANOS = TimeUnit.MICROSECONDS.toNanos(500);
  private static final long MAX_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

  private final Process process;
  private final InputStream in;
  private final LogDecoder lines;
  private final byte[] buffer = new byte[8192];

  private OutputPump(Process process, InputStream in, LogDecoder lines) {
    this.process = process;
    this.in = in;
    this.lines = lines;
  }

  /** Copies {@code in}, one of the process's output streams, through {@code decoder}. */
  static OutputPump start(String name, Process process, InputStream in, LogDecoder decoder) {
    OutputPump pump = new OutputPump(process, in, decoder);
    Thread.ofPlatform().daemon().name("output-" + name).start(pump::run);
    return pump;
  }

  private void run() {
    long pause = MIN_PAUSE_NANOS;
    try {
      while (true) {
        if (copyAvailable()) {
          pause = MIN_PAUSE_NANOS;
        } else if (!process.isAlive()) {
          copyToEnd();
          return;
        } else {
          LockSupport.parkNanos(pause);
          pause = Math.min(MAX_PAUSE_NANOS, pause * 2);
        }
      }
    } catch (IOException closed) {
      end();
    }
  }

  /** Copies what can be read without blocking; true when there was something. */
  private synchronized boolean copyAvailable() throws IOException {
    boolean copied = false;
    int available;
    while ((available = in.available()) > 0) {
      int n = in.read(buffer, 0, Math.min(available, buffer.length));
      lines.write(buffer, n);
      copied = true;
    }
    return copied;
  }

  /** The process is gone: read to the end (its children may still hold the pipe for a moment). */
  private synchronized void copyToEnd() throws IOException {
    int n;
    while ((n = in.read(buffer)) > 0) {
      lines.write(buffer, n);
    }
    end();
  }

  private synchronized void end() {
    lines.end();
  }

  private synchronized void flushPartial() {
    lines.flush();
  }

  /** Copies everything the process has written so far into the sink, now. */
  void drain() {
    try {
      copyAvailable();
    } catch (IOException closed) {
      // nothing more to copy
    }
    flushPartial();
  }
}
