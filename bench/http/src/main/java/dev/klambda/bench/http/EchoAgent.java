package dev.klambda.bench.http;

import dev.klambda.agent.AgentProtocol;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * Environments without a runtime: the agent protocol answered by an echo, so that the gateway's
 * cost is all that a throughput run measures. Init is over at once, a claim is refused, an
 * invocation succeeds with its payload as the answer and the agent's measurement headers (after a
 * while for {@code {"hold":N}}).
 */
final class EchoAgent implements AutoCloseable {
  private static final int MAX_CONTENT = 7 * 1024 * 1024;
  static final String HOLD = "{\"hold\":";
  private final EventLoopGroup group;
  private final Channel channel;

  /** Listens on {@code address}: every environment's IP when it is the wildcard. */
  EchoAgent(InetSocketAddress address, int threads) throws InterruptedException {
    group = new MultiThreadIoEventLoopGroup(threads, NioIoHandler.newFactory());
    channel =
        new ServerBootstrap()
            .group(group)
            .channel(NioServerSocketChannel.class)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel channel) {
                    channel
                        .pipeline()
                        .addLast(
                            new HttpServerCodec(),
                            new HttpObjectAggregator(MAX_CONTENT),
                            new Answer());
                  }
                })
            .bind(address)
            .sync()
            .channel();
  }

  private static final class Answer extends SimpleChannelInboundHandler<FullHttpRequest> {
    @Override
    protected void channelRead0(ChannelHandlerContext context, FullHttpRequest request) {
      String path = request.uri();
      FullHttpResponse response;
      if (path.startsWith(AgentProtocol.INVOKE_PATH)) {
        ByteBuf body = request.content().retain();
        response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, body);
        response
            .headers()
            .set(HttpHeaderNames.CONTENT_TYPE, "application/json")
            .set(AgentProtocol.OUTCOME, "success")
            .set(AgentProtocol.DURATION_MICROS, "1");
      } else if (path.startsWith(AgentProtocol.READY_PATH)) {
        response =
            new DefaultFullHttpResponse(
                HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.EMPTY_BUFFER);
      } else {
        response =
            new DefaultFullHttpResponse(
                HttpVersion.HTTP_1_1, HttpResponseStatus.NOT_FOUND, Unpooled.EMPTY_BUFFER);
      }
      HttpUtil.setContentLength(response, response.content().readableBytes());
      HttpUtil.setKeepAlive(response, HttpUtil.isKeepAlive(request));
      long hold = holdMillis(request.content());
      if (hold > 0) {
        context
            .executor()
            .schedule(() -> context.writeAndFlush(response), hold, TimeUnit.MILLISECONDS);
      } else {
        context.writeAndFlush(response);
      }
    }

    /** An invocation with the payload {@code {"hold":N}} is answered after N ms: a held request. */
    private static long holdMillis(ByteBuf payload) {
      if (payload.readableBytes() > 32 || payload.readableBytes() < 10) {
        return 0;
      }
      String text = payload.toString(StandardCharsets.US_ASCII);
      return text.startsWith(HOLD) && text.endsWith("}")
          ? Long.parseLong(text.substring(HOLD.length(), text.length() - 1))
          : 0;
    }
  }

  @Override
  public void close() {
    channel.close().syncUninterruptibly();
    group.shutdownGracefully();
  }
}
