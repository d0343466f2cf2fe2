package dev.klambda.bench.http;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
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

/**
 * Netty's HTTP/1.1 codec on one event loop (NIO, or epoll where the native transport loads): the
 * answer is written from the event loop, no thread hand-off.
 */
final class NettyServer implements StackServer.Stack {
  /** Past the Invoke API's 6 MB payload. */
  private static final int MAX_CONTENT = 7 * 1024 * 1024;

  private final boolean epoll;

  NettyServer(boolean epoll) {
    this.epoll = epoll;
  }

  @Override
  public void start(InetSocketAddress address) throws InterruptedException {
    EventLoopGroup group =
        new MultiThreadIoEventLoopGroup(
            1, epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
    new ServerBootstrap()
        .group(group)
        .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childHandler(
            new ChannelInitializer<SocketChannel>() {
              @Override
              protected void initChannel(SocketChannel channel) {
                channel
                    .pipeline()
                    .addLast(
                        new HttpServerCodec(), new HttpObjectAggregator(MAX_CONTENT), new Answer());
              }
            })
        .bind(address)
        .sync();
  }

  private static final class Answer extends SimpleChannelInboundHandler<FullHttpRequest> {
    @Override
    protected void channelRead0(ChannelHandlerContext context, FullHttpRequest request) {
      ByteBuf body = request.content().retain();
      FullHttpResponse response =
          new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, body);
      response.headers().set(HttpHeaderNames.CONTENT_TYPE, StackServer.CONTENT_TYPE);
      StackServer.HEADERS.forEach(response.headers()::set);
      HttpUtil.setContentLength(response, body.readableBytes());
      HttpUtil.setKeepAlive(response, HttpUtil.isKeepAlive(request));
      context.writeAndFlush(response);
    }
  }
}
