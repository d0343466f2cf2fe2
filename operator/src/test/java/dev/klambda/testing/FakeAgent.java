package dev.klambda.testing;

import dev.klambda.agent.AgentProtocol;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * An agent without a runtime: it answers an invocation with its payload, or as the payload's start
 * asks: {@code {"fail"} } a function error, {@code {"unavailable"} } the environment's refusal,
 * {@code {"drop"} } no answer (the connection closes), {@code {"hold":N} } the echo after N ms.
 */
public final class FakeAgent implements AutoCloseable {
  private final EventLoopGroup group =
      new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final Channel channel;

  public FakeAgent() throws InterruptedException {
    channel =
        new ServerBootstrap()
            .group(group)
            .channel(NioServerSocketChannel.class)
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel channel) {
                    channel
                        .pipeline()
                        .addLast(
                            new HttpServerCodec(),
                            new HttpObjectAggregator(8 * 1024 * 1024),
                            new Answer());
                  }
                })
            .bind(new InetSocketAddress("127.0.0.1", 0))
            .sync()
            .channel();
  }

  public URI address() {
    InetSocketAddress bound = (InetSocketAddress) channel.localAddress();
    return URI.create("http://127.0.0.1:" + bound.getPort());
  }

  private static final class Answer extends SimpleChannelInboundHandler<FullHttpRequest> {
    @Override
    protected void channelRead0(ChannelHandlerContext context, FullHttpRequest request) {
      String start =
          request
              .content()
              .toString(
                  request.content().readerIndex(),
                  Math.min(32, request.content().readableBytes()),
                  StandardCharsets.US_ASCII);
      if (start.startsWith("{\"drop\"")) {
        context.close();
        return;
      }
      FullHttpResponse response;
      if (start.startsWith("{\"unavailable\"")) {
        response = answer(HttpResponseStatus.SERVICE_UNAVAILABLE, Unpooled.EMPTY_BUFFER);
        response.headers().set(AgentProtocol.OUTCOME, AgentProtocol.OUTCOME_UNAVAILABLE);
      } else {
        response = answer(HttpResponseStatus.OK, request.content().retain());
        boolean fail = start.startsWith("{\"fail\"");
        response.headers().set(AgentProtocol.OUTCOME, fail ? "error" : "success");
        if (fail) {
          response.headers().set(AgentProtocol.ERROR_TYPE, "Boom");
        }
      }
      ScheduledFuture<?> answering =
          context
              .executor()
              .schedule(
                  () -> context.writeAndFlush(response), holdMillis(start), TimeUnit.MILLISECONDS);
      // a connection closed while its answer is held (the caller gave up) drops the answer
      context
          .channel()
          .closeFuture()
          .addListener(
              closed -> {
                if (answering.cancel(false)) {
                  response.release();
                }
              });
    }

    /** N of a payload that starts {@code {"hold":N}, else 0. */
    private static long holdMillis(String start) {
      String prefix = "{\"hold\":";
      if (!start.startsWith(prefix)) {
        return 0;
      }
      int end = prefix.length();
      while (end < start.length() && Character.isDigit(start.charAt(end))) {
        end++;
      }
      return Long.parseLong(start.substring(prefix.length(), end));
    }

    private static FullHttpResponse answer(HttpResponseStatus status, ByteBuf body) {
      FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
      HttpUtil.setContentLength(response, body.readableBytes());
      response.headers().set(AgentProtocol.DURATION_MICROS, "1");
      return response;
    }
  }

  @Override
  public void close() {
    channel.close().syncUninterruptibly();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }
}
