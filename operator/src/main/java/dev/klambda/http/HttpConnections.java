package dev.klambda.http;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.util.AttributeKey;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.time.Duration;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The gateway's HTTP/1.1 client, on Netty: keep-alive connections reused per server (an agent
 * runs one invocation at a time, so it mostly has one; another gateway replica gets as many as
 * requests are forwarded to it at once). The caller's thread waits for the answer; the event loop
 * does the I/O. Chosen over the JDK's HttpClient by the side-by-side measurement in
 * bench/RESULTS.md ("HTTP stacks side by side"): a third of the CPU per request.
 */
public final class HttpConnections implements AutoCloseable {
  /** The answer's body past the Invoke API's 6 MB payload, with room for headers' worth of log. */
  private static final int MAX_ANSWER = 7 * 1024 * 1024;
  private static final AttributeKey<CompletableFuture<Answer>> PENDING = AttributeKey.valueOf("klambda.pending");

  /** A server's answer, its body copied out of Netty's buffers. */
  public record Answer(int status, HttpHeaders headers, byte[] body, boolean keepAlive) {}

  private final EventLoopGroup group;
  private final Bootstrap bootstrap;
  private final Duration connectTimeout;
  /** Idle keep-alive connections by server address. */
  private final Map<InetSocketAddress, Deque<Channel>> idle = new ConcurrentHashMap<>();

  /** @param name names the event loop's threads */
  public HttpConnections(String name, Duration connectTimeout) {
    this.connectTimeout = connectTimeout;
    this.group = new MultiThreadIoEventLoopGroup(Runtime.getRuntime().availableProcessors(),
        Thread.ofPlatform().daemon().name(name + "-io-", 0).factory(), NioIoHandler.newFactory());
    this.bootstrap = new Bootstrap().group(group).channel(NioSocketChannel.class)
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) connectTimeout.toMillis())
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel channel) {
            channel.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(MAX_ANSWER), new Receiver());
          }
        });
  }

  /**
   * Sends {@code request} to the server at {@code server} and waits up to {@code timeout} for the
   * whole answer.
   *
   * @throws ConnectException when no connection could be made: nothing was sent
   * @throws SocketTimeoutException when the answer did not come in time (the connection is closed)
   * @throws IOException when the connection broke after the request was sent
   */
  public Answer exchange(URI server, FullHttpRequest request, Duration timeout)
      throws IOException, InterruptedException {
    InetSocketAddress address = new InetSocketAddress(server.getHost(), server.getPort());
    Channel channel = acquire(address, request);
    CompletableFuture<Answer> answer = new CompletableFuture<>();
    channel.attr(PENDING).set(answer);
    request.headers().set(HttpHeaderNames.HOST, server.getHost() + ":" + server.getPort());
    HttpUtil.setContentLength(request, request.content().readableBytes());
    channel.writeAndFlush(request).addListener(written -> {
      if (!written.isSuccess()) {
        answer.completeExceptionally(new IOException("sending to " + address + " failed", written.cause()));
      }
    });
    try {
      Answer answered = answer.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
      release(address, channel, answered);
      return answered;
    } catch (TimeoutException e) {
      channel.close();
      throw new SocketTimeoutException("no answer from " + address + " within " + timeout);
    } catch (ExecutionException e) {
      channel.close();
      throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
    } catch (InterruptedException e) {
      channel.close();
      throw e;
    }
  }

  /** An idle connection to {@code address} that is still open, or a new one. */
  private Channel acquire(InetSocketAddress address, FullHttpRequest request)
      throws ConnectException, InterruptedException {
    Deque<Channel> channels = idle.get(address);
    if (channels != null) {
      for (Channel channel = channels.pollFirst(); channel != null; channel = channels.pollFirst()) {
        if (channel.isActive()) {
          return channel;
        }
      }
    }
    ChannelFuture connected = bootstrap.connect(address);
    if (!connected.await(connectTimeout.toMillis() + 1000) || !connected.isSuccess()) {
      connected.channel().close();
      request.release();
      ConnectException refused = new ConnectException("cannot connect to " + address);
      refused.initCause(connected.cause());
      throw refused;
    }
    Channel channel = connected.channel();
    // a connection the server closes (an agent whose environment stopped) leaves the pool, and an empty pool the map
    channel.closeFuture().addListener(closed -> idle.computeIfPresent(address, (a, pooled) -> {
      pooled.remove(channel);
      return pooled.isEmpty() ? null : pooled;
    }));
    return channel;
  }

  private void release(InetSocketAddress address, Channel channel, Answer answer) {
    if (!answer.keepAlive() || !channel.isActive()) {
      channel.close();
      return;
    }
    idle.computeIfAbsent(address, a -> new ConcurrentLinkedDeque<>()).addFirst(channel);
  }

  /** Completes the waiting exchange of its connection: the answer, or why there is none. */
  private static final class Receiver extends SimpleChannelInboundHandler<FullHttpResponse> {
    @Override
    protected void channelRead0(ChannelHandlerContext context, FullHttpResponse response) {
      CompletableFuture<Answer> pending = context.channel().attr(PENDING).getAndSet(null);
      if (pending != null) {
        pending.complete(new Answer(response.status().code(), response.headers(),
            ByteBufUtil.getBytes(response.content()), HttpUtil.isKeepAlive(response)));
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext context) {
      fail(context, new IOException(context.channel().remoteAddress() + " closed the connection"));
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext context, Throwable cause) {
      fail(context, cause instanceof IOException io ? io : new IOException(cause));
      context.close();
    }

    private static void fail(ChannelHandlerContext context, IOException cause) {
      CompletableFuture<Answer> pending = context.channel().attr(PENDING).getAndSet(null);
      if (pending != null) {
        pending.completeExceptionally(cause);
      }
    }
  }

  @Override
  public void close() {
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }
}
