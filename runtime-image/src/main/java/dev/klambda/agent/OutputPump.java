package dev.klambda.agent;

import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Copies a child process's output (a pipe, or the launcher's connection) into the {@link LogSink}
 * line by line. It polls instead of blocking in {@code read} (a process stream's {@code read}
 * holds the lock {@code available} needs), so {@link #drain} can copy what the runtime printed
 * just before it answered, and the invocation's log tail includes those lines.
 */
final class OutputPump {
  private static final long MIN_PAUSE_NANOS = TimeUnit.MICROSECONDS.toNanos(500);
  private static final long MAX_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

  private final InputStream in;
  private final BooleanSupplier ended;
  private final LogLines lines;
  private final byte[] buffer = new byte[8192];

  private OutputPump(InputStream in, BooleanSupplier ended, LogSink logs) {
    this.in = in;
    this.ended = ended;
    this.lines = new LogLines(logs);
  }

  /** @param ended true once the process has exited: then the rest is read to the end */
  static OutputPump start(String name, InputStream in, BooleanSupplier ended, LogSink logs) {
    OutputPump pump = new OutputPump(in, ended, logs);
    Thread.ofPlatform().daemon().name("output-" + name).start(pump::run);
    return pump;
  }

  private void run() {
    long pause = MIN_PAUSE_NANOS;
    try {
      while (true) {
        if (copyAvailable()) {
          pause = MIN_PAUSE_NANOS;
        } else if (ended.getAsBoolean()) {
          copyToEnd();
          return;
        } else {
          LockSupport.parkNanos(pause);
          pause = Math.min(MAX_PAUSE_NANOS, pause * 2);
        }
      }
    } catch (IOException closed) {
      flushPartial();
    }
  }

  /** Copies what can be read without blocking; true when there was something. */
  private synchronized boolean copyAvailable() throws IOException {
    boolean copied = false;
    int available;
    while ((available = in.available()) > 0) {
      int n = in.read(buffer, 0, Math.min(available, buffer.length));
      emitLines(n);
      copied = true;
    }
    return copied;
  }

  /** The process is gone: read to the end (its children may still hold the pipe for a moment). */
  private synchronized void copyToEnd() throws IOException {
    int n;
    while ((n = in.read(buffer)) > 0) {
      emitLines(n);
    }
    flushPartial();
  }

  private void emitLines(int n) {
    lines.write(buffer, n);
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
