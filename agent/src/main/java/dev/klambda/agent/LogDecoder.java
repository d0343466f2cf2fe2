package dev.klambda.agent;

/** Turns a process's output bytes into log records for the {@link LogSink}. */
interface LogDecoder {
  void write(byte[] bytes, int length);

  /**
   * Everything written so far is wanted in the log now (the runtime answered): a record begun goes
   * out as far as it is whole.
   */
  void flush();

  /** The stream ended: what is left of a record goes out. */
  default void end() {
    flush();
  }
}
