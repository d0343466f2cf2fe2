package dev.klambda.gateway;

import dev.klambda.auth.AuthRequest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntConsumer;

/**
 * One request to the gateway, whole (Netty aggregated it), and its answer: what the Invoke API,
 * function URLs and the replicas' event copies need of an HTTP server. Answered once; the
 * connection reads its next request only after the answer is written, so answers keep the order of
 * their requests. The exchange owns the request: answering it releases the request's buffers, so
 * what must outlive the answer retains or copies them first.
 */
public final class GatewayExchange implements AuthRequest {
  private final ChannelHandlerContext context;
  private final FullHttpRequest request;
  private final String rawPath;
  private final String rawQuery;
  private final HttpHeaders responseHeaders = new DefaultHttpHeaders();
  private final Runnable whenAnswered;
  private final AtomicBoolean answered = new AtomicBoolean();
  private volatile IntConsumer onAnswer;

  /**
   * @param request released once answered
   * @param whenAnswered told once, when the answer is on its way
   */
  GatewayExchange(ChannelHandlerContext context, FullHttpRequest request, Runnable whenAnswered) {
    this.context = context;
    this.request = request;
    this.whenAnswered = whenAnswered;
    String uri = request.uri();
    int query = uri.indexOf('?');
    this.rawPath = query < 0 ? uri : uri.substring(0, query);
    this.rawQuery = query < 0 ? null : uri.substring(query + 1);
  }

  @Override
  public String method() {
    return request.method().name();
  }

  /** The path as sent, percent-encoding kept. */
  @Override
  public String rawPath() {
    return rawPath;
  }

  /** The query as sent, or null. */
  @Override
  public String rawQuery() {
    return rawQuery;
  }

  /** The first value of a request header (any case), or null. */
  @Override
  public String header(String name) {
    return request.headers().get(name);
  }

  @Override
  public List<String> headerValues(String name) {
    return request.headers().getAll(name);
  }

  /** Every request header with its values, names as sent. */
  public Map<String, List<String>> headers() {
    Map<String, List<String>> headers = new LinkedHashMap<>();
    request
        .headers()
        .forEach(
            h -> headers.computeIfAbsent(h.getKey(), n -> new ArrayList<>()).add(h.getValue()));
    return headers;
  }

  public int bodyLength() {
    return request.content().readableBytes();
  }

  /**
   * The body in the server's buffers, not copied: readable until the exchange is answered. Read it
   * without moving its indices; a write that may outlive the answer takes a {@link
   * ByteBuf#retainedDuplicate()}.
   */
  public ByteBuf body() {
    return request.content();
  }

  /** A signature's hash reads the buffers where they are. */
  @Override
  public ByteBuffer[] bodyParts() {
    ByteBuf body = request.content();
    return body.nioBuffers(body.readerIndex(), body.readableBytes());
  }

  /** The body copied to the heap: for what keeps it past the answer or needs an array. */
  public byte[] copyOfBody() {
    return ByteBufUtil.getBytes(request.content());
  }

  public String remoteAddress() {
    return context.channel().remoteAddress() instanceof InetSocketAddress address
        ? address.getAddress().getHostAddress()
        : String.valueOf(context.channel().remoteAddress());
  }

  /** The answer's headers, to set before {@link #respond}. */
  public HttpHeaders responseHeaders() {
    return responseHeaders;
  }

  /** Tells {@code listener} the status of the answer once it is written (the audit log). */
  public void onAnswer(IntConsumer listener) {
    this.onAnswer = listener;
  }

  /** Writes the answer; the connection stays open unless the client asked to close it. */
  public void respond(int status, byte[] body) {
    respond(status, Unpooled.wrappedBuffer(body)); // no copy; an empty array is the empty buffer
  }

  /**
   * Writes the answer with {@code body}, whose reference the answer takes (Netty releases it once
   * written, or at once when it cannot be), and releases the request.
   */
  public void respond(int status, ByteBuf body) {
    if (!answered.compareAndSet(false, true)) {
      body.release();
      throw new IllegalStateException("answered already");
    }
    try {
      FullHttpResponse response =
          new DefaultFullHttpResponse(
              HttpVersion.HTTP_1_1,
              HttpResponseStatus.valueOf(status),
              body,
              responseHeaders,
              EmptyHttpHeaders.INSTANCE);
      HttpUtil.setContentLength(response, body.readableBytes());
      boolean keepAlive = HttpUtil.isKeepAlive(request);
      if (!keepAlive) {
        response.headers().set(HttpHeaderNames.CONNECTION, "close");
      }
      context
          .writeAndFlush(response)
          .addListener(
              keepAlive
                  ? (ChannelFutureListener)
                      written -> {
                        context.channel().config().setAutoRead(true);
                        context.read();
                      }
                  : ChannelFutureListener.CLOSE);
    } finally {
      request.release();
      whenAnswered.run();
      IntConsumer listener = onAnswer;
      if (listener != null) {
        listener.accept(status);
      }
    }
  }

  boolean answered() {
    return answered.get();
  }
}
