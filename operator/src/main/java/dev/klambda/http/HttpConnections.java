package dev.klambda.http;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
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
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The gateway's HTTP/1.1 client, on Netty: keep-alive connections reused per server (an agent runs
 * one invocation at a time, so it mostly has one; another gateway replica gets as many as requests
 * are forwarded to it at once). The caller's thread waits for the answer; the event loop does the
 * I/O. Chosen over the JDK's HttpClient by the side-by-side measurement in bench/RESULTS.md ("HTTP
 * stacks side by side"): a third of the CPU per request.
 */
public final class HttpConnections implements AutoCloseable {
  /** The answer's body past the Invoke API's 6 MB payload, with room for headers' worth of log. */
  private static final int MAX_ANSWER = 7 * 1024 * 1024;

  private static final AttributeKey<Pending> PENDING = AttributeKey.valueOf("klambda.pending");
  private static final AttributeKey<Long> IDLE_SINCE = AttributeKey.valueOf("klambda.idleSince");

  /**
   * A connection idle longer than this is not reused but closed: the JDK's server (the agent's)
   * closes its idle connections after 30 s, and one closing just as a request is written would fail
   * an invocation that never ran.
   */
  private static final long MAX_IDLE_NANOS = TimeUnit.SECONDS.toNanos(20);

  /**
   * A server's answer. Its body is the client's buffer as received, not a copy: the answer owns it
   * until {@link #close closed} (once), or until its owner hands the body on (an invocation's
   * result takes it).
   */
  public record Answer(int status, HttpHeaders headers, ByteBuf body, boolean keepAlive)
      implements AutoCloseable {
    /** The body read as UTF-8 text: for error messages. */
    public String bodyText() {
      return body.toString(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
      body.release();
    }
  }

  private final EventLoopGroup group;
  private final Bootstrap bootstrap;

  /** Idle keep-alive connections by server address. */
  private final Map<InetSocketAddress, Deque<Channel>> idle = new ConcurrentHashMap<>();

  /**
   * @param name names the event loops' threads
   */
  public HttpConnections(String name, Duration connectTimeout) {
    this.group =
        new MultiThreadIoEventLoopGroup(
            Runtime.getRuntime().availableProcessors(),
            Thread.ofPlatform().daemon().name(name + "-io-", 0).factory(),
            NioIoHandler.newFactory());
    this.bootstrap =
        new Bootstrap()
            .group(group)
            .channel(NioSocketChannel.class)
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) connectTimeout.toMillis())
            .handler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel channel) {
                    channel
                        .pipeline()
                        .addLast(
                            new HttpClientCodec(),
                            new HttpObjectAggregator(MAX_ANSWER),
                            new Receiver());
                  }
                });
  }

  /**
   * Sends {@code request} (whose reference the exchange takes) to the server at {@code server} and
   * waits up to {@code timeout} for the whole answer, the caller's to close.
   *
   * @throws ConnectException when no connection could be made: nothing was sent
   * @throws SocketTimeoutException when the answer did not come in time (the connection is closed)
   * @throws IOException when the connection broke after the request was sent
   */
  public Answer exchange(URI server, FullHttpRequest request, Duration timeout)
      throws IOException, InterruptedException {
    CompletableFuture<Answer> answer = exchangeAsync(server, request, timeout);
    try {
      return answer.get();
    } catch (ExecutionException e) {
      throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
    } catch (InterruptedException e) {
      answer.completeExceptionally(new IOException("interrupted")); // closes the connection
      answer.thenAccept(Answer::close); // unless the answer came first: then nobody takes it
      throw e;
    }
  }

  /**
   * Sends {@code request} and completes with the whole answer, on the connection's event loop (an
   * idle connection is reused, else one is made, without blocking the caller); the failures are
   * those of {@link #exchange}. Whoever takes the answer closes it.
   */
  public CompletableFuture<Answer> exchangeAsync(
      URI server, FullHttpRequest request, Duration timeout) {
    InetSocketAddress address = new InetSocketAddress(server.getHost(), server.getPort());
    request.headers().set(HttpHeaderNames.HOST, server.getHost() + ":" + server.getPort());
    HttpUtil.setContentLength(request, request.content().readableBytes());
    CompletableFuture<Answer> answer = new CompletableFuture<>();
    Channel pooled = pooled(address);
    if (pooled != null) {
      send(pooled, address, request, timeout, answer);
      return answer;
    }
    bootstrap
        .connect(address)
        .addListener(
            (ChannelFuture connected) -> {
              if (!connected.isSuccess()) {
                request.release();
                ConnectException refused = new ConnectException("cannot connect to " + address);
                refused.initCause(connected.cause());
                answer.completeExceptionally(refused);
                return;
              }
              Channel channel = connected.channel();
              // a connection the server closes (an agent whose environment stopped) leaves the
              // pool, and an empty pool the map
              channel
                  .closeFuture()
                  .addListener(
                      closed ->
                          idle.computeIfPresent(
                              address,
                              (a, channels) -> {
                                channels.remove(channel);
                                return channels.isEmpty() ? null : channels;
                              }));
              send(channel, address, request, timeout, answer);
            });
    return answer;
  }

  /** An idle connection to {@code address} that is still open, or null. */
  private Channel pooled(InetSocketAddress address) {
    Deque<Channel> channels = idle.get(address);
    if (channels != null) {
      long now = System.nanoTime();
      for (Channel channel = channels.pollFirst();
          channel != null;
          channel = channels.pollFirst()) {
        Long idleSince = channel.attr(IDLE_SINCE).get();
        if (channel.isActive() && idleSince != null && now - idleSince < MAX_IDLE_NANOS) {
          return channel;
        }
        channel.close();
      }
    }
    return null;
  }

  private void send(
      Channel channel,
      InetSocketAddress address,
      FullHttpRequest request,
      Duration timeout,
      CompletableFuture<Answer> answer) {
    ScheduledFuture<?> late =
        channel
            .eventLoop()
            .schedule(
                () -> {
                  answer.completeExceptionally(
                      new SocketTimeoutException(
                          "no answer from " + address + " within " + timeout));
                },
                timeout.toNanos(),
                TimeUnit.NANOSECONDS);
    // the connection goes back to the pool before anyone hears the answer: a next request finds it
    channel
        .attr(PENDING)
        .set(
            new Pending(
                answer,
                answered -> {
                  late.cancel(false);
                  release(address, channel, answered);
                }));
    answer.whenComplete(
        (answered, failed) -> {
          if (failed != null) {
            late.cancel(false);
            channel.close();
          }
        });
    channel
        .writeAndFlush(request)
        .addListener(
            written -> {
              if (!written.isSuccess()) {
                answer.completeExceptionally(
                    new IOException("sending to " + address + " failed", written.cause()));
              }
            });
  }

  private void release(InetSocketAddress address, Channel channel, Answer answer) {
    if (!answer.keepAlive() || !channel.isActive()) {
      channel.close();
      return;
    }
    channel.attr(IDLE_SINCE).set(System.nanoTime());
    idle.compute(
        address,
        (a, channels) -> {
          Deque<Channel> pool = channels != null ? channels : new ConcurrentLinkedDeque<>();
          pool.addFirst(channel);
          return pool;
        });
  }

  /** The exchange waiting on a connection: its answer, and what to do with the connection first. */
  private record Pending(CompletableFuture<Answer> answer, Consumer<Answer> beforeAnswer) {}

  /** Completes the waiting exchange of its connection: the answer, or why there is none. */
  private static final class Receiver extends SimpleChannelInboundHandler<FullHttpResponse> {
    @Override
    protected void channelRead0(ChannelHandlerContext context, FullHttpResponse response) {
      Pending pending = context.channel().attr(PENDING).getAndSet(null);
      if (pending != null && !pending.answer().isDone()) {
        // the body goes on as it is; the handler releases the response's own reference
        Answer answer =
            new Answer(
                response.status().code(),
                response.headers(),
                response.content().retain(),
                HttpUtil.isKeepAlive(response));
        pending.beforeAnswer().accept(answer);
        if (!pending.answer().complete(answer)) {
          answer.close(); // given up on just now (an interrupted caller)
        }
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
      Pending pending = context.channel().attr(PENDING).getAndSet(null);
      if (pending != null) {
        pending.answer().completeExceptionally(cause);
      }
    }
  }

  /**
   * The client's event loops, for a server to share: an answer then goes out on the thread that
   * read it, and on a gateway with one CPU one thread does all of an invocation's I/O. They end
   * with the client.
   */
  public EventLoopGroup eventLoops() {
    return group;
  }

  @Override
  public void close() {
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }
}
