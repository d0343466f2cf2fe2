package dev.klambda.environments;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;

/**
 * One invocation on its way to an environment.
 *
 * @param payload the event, borrowed: whoever made the request keeps the buffer readable while the
 *     invocation runs (a synchronous invocation's is the caller's HTTP request, released once the
 *     caller is answered). Readers leave its indices alone; a write to a connection, which may
 *     outlive the call, takes a {@link ByteBuf#retainedDuplicate()} of its own.
 * @param clientContext the decoded client context JSON, or null
 * @param logTail whether the caller wants the log tail ({@code X-Amz-Log-Type: Tail})
 */
public record InvocationRequest(
    String requestId, ByteBuf payload, String clientContext, boolean logTail) {

  /** An invocation of bytes in memory (an event kept, a batch of records): wrapped, not copied. */
  public InvocationRequest(
      String requestId, byte[] payload, String clientContext, boolean logTail) {
    this(requestId, Unpooled.wrappedBuffer(payload), clientContext, logTail);
  }

  /**
   * The same invocation with a copy of the payload on the heap, for one kept past its caller's
   * request: an Event, which the caller hears 202 for before it runs.
   */
  public InvocationRequest copiedToHeap() {
    return new InvocationRequest(requestId, ByteBufUtil.getBytes(payload), clientContext, logTail);
  }

  /** The payload's bytes: the wrapped array itself when it wraps a whole one, else a copy. */
  public byte[] payloadBytes() {
    return ByteBufUtil.getBytes(payload, payload.readerIndex(), payload.readableBytes(), false);
  }
}
