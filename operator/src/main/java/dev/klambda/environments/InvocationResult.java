package dev.klambda.environments;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;

/**
 * What an environment answered, with the agent's measurements. The result owns its payload (the
 * agent's answer as the client received it): whoever takes the result {@link #close closes} it
 * once, and whatever writes the payload onward takes a {@link ByteBuf#retainedDuplicate()} first.
 *
 * @param errorType the function error's type, or null on success
 * @param logResult base64 of the last 4 KB of the invocation's log, or null
 */
public record InvocationResult(
    Outcome outcome,
    ByteBuf payload,
    String errorType,
    String logResult,
    long durationMicros,
    long initDurationMicros)
    implements AutoCloseable {

  /** A result of bytes in memory (a test's, another client's): wrapped, not copied. */
  public InvocationResult(
      Outcome outcome,
      byte[] payload,
      String errorType,
      String logResult,
      long durationMicros,
      long initDurationMicros) {
    this(
        outcome,
        Unpooled.wrappedBuffer(payload),
        errorType,
        logResult,
        durationMicros,
        initDurationMicros);
  }

  /** How an invocation ended, as the agent reports it. */
  public enum Outcome {
    SUCCESS,
    ERROR,
    TIMEOUT,
    CRASH,
    INIT_ERROR;

    static Outcome fromHeader(String value) {
      return valueOf(value.toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
    }
  }

  public boolean functionError() {
    return outcome != Outcome.SUCCESS;
  }

  /** Whether the environment can take another invocation (a failed Init cannot). */
  public boolean environmentReusable() {
    return outcome != Outcome.INIT_ERROR;
  }

  /**
   * The same result with a copy of the payload on the heap, which needs no closing: for one kept
   * past the call (an Event's last attempt, for its record). This one is still the caller's to
   * close.
   */
  public InvocationResult copiedToHeap() {
    return new InvocationResult(
        outcome,
        ByteBufUtil.getBytes(payload),
        errorType,
        logResult,
        durationMicros,
        initDurationMicros);
  }

  /** The payload's bytes: the wrapped array itself when it wraps a whole one, else a copy. */
  public byte[] payloadBytes() {
    return ByteBufUtil.getBytes(payload, payload.readerIndex(), payload.readableBytes(), false);
  }

  /** Lets go of the payload's buffer; once. */
  @Override
  public void close() {
    payload.release();
  }
}
