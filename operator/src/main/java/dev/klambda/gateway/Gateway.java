package dev.klambda.gateway;

import dev.klambda.auth.InvokeGuard;
import dev.klambda.auth.PeerKey;
import dev.klambda.function.InvokePath;
import dev.klambda.routing.AsyncInvoker;
import dev.klambda.routing.FunctionRegistry;
import dev.klambda.routing.ServiceException;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.flow.FlowControlHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP front door: the Lambda Invoke API and function URLs on one port, on Netty (chosen by the
 * side-by-side measurement in bench/RESULTS.md). Netty's event loop reads and writes. A warm
 * invocation is answered without leaving the event loops: the request is checked there, an idle
 * environment taken, and the answer written when the agent's comes. Whatever must wait (for an
 * environment, for another replica, for an event's copy) runs on a virtual thread of its own, so
 * thousands of queued and in-flight invocations cost memory, not platform threads.
 */
public final class Gateway implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);

  /** Past the Invoke API's 6 MB, so that its own limit answers with Lambda's error. */
  private static final int MAX_REQUEST = 7 * 1024 * 1024;

  /** What serves the requests under a path prefix. */
  @FunctionalInterface
  public interface Route {
    void handle(GatewayExchange exchange) throws IOException;
  }

  private final InetSocketAddress requested;
  private final AsyncInvoker async;
  private final InvokeApi invokeApi;
  private final FunctionUrlApi urls;
  private final FunctionReadApi reads;
  private final Map<String, Route> routes = new ConcurrentHashMap<>();
  private final EventLoopGroup group;
  private final ExecutorService handlers = Executors.newVirtualThreadPerTaskExecutor();
  private final ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile Channel server;

  /**
   * @param eventLoops Netty's threads for the server: the agent client's, which ends them
   */
  /**
   * @param guard who may invoke what
   * @param peers the replicas' shared key: a forwarded invocation proves with it that a replica
   *     authorized its caller
   */
  public Gateway(
      InetSocketAddress address,
      FunctionRegistry registry,
      AsyncInvoker async,
      Duration queueTimeout,
      EventLoopGroup eventLoops,
      InvokeGuard guard,
      PeerKey peers) {
    this.requested = address;
    this.group = eventLoops;
    this.async = async;
    this.invokeApi = new InvokeApi(registry, async, queueTimeout, guard, peers);
    this.urls = new FunctionUrlApi(registry, queueTimeout, guard);
    this.reads = new FunctionReadApi(registry, guard);
  }

  /** Serves {@code route} under {@code pathPrefix} too (before {@link #start()}). */
  public void serve(String pathPrefix, Route route) {
    routes.put(pathPrefix, route);
  }

  public void start() throws IOException {
    try {
      server =
          new ServerBootstrap()
              .group(group)
              .channel(NioServerSocketChannel.class)
              .option(ChannelOption.SO_BACKLOG, 4096)
              .childOption(ChannelOption.TCP_NODELAY, true)
              .childHandler(
                  new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                      connections.add(channel);
                      // flow control: a pipelined request waits until the one before it is answered
                      channel
                          .pipeline()
                          .addLast(
                              new HttpServerCodec(),
                              new Aggregator(),
                              new FlowControlHandler(),
                              new Dispatcher());
                    }
                  })
              .bind(requested)
              .sync()
              .channel();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while binding " + requested, e);
    } catch (RuntimeException e) {
      throw new IOException("cannot listen on " + requested + ": " + e.getMessage(), e);
    }
  }

  /**
   * Hands each whole request to a virtual thread; the connection reads no more until it is
   * answered. Every request is answered, and answering releases it.
   */
  private final class Dispatcher extends SimpleChannelInboundHandler<FullHttpRequest> {
    Dispatcher() {
      super(false); // the exchange's from here: its payload may go to an agent as it is
    }

    @Override
    protected void channelRead0(ChannelHandlerContext context, FullHttpRequest request) {
      context.channel().config().setAutoRead(false);
      inFlight.incrementAndGet();
      GatewayExchange exchange = new GatewayExchange(context, request, inFlight::decrementAndGet);
      try {
        if (isInvoke(exchange) && invokeApi.tryAnswerNow(exchange, handlers)) {
          return;
        }
        handlers.execute(
            () -> {
              try {
                route(exchange).handle(exchange);
              } catch (IOException | RuntimeException e) {
                LOG.warn("{} {}: failed: {}", exchange.method(), exchange.rawPath(), e.toString());
              } finally {
                answerIfNot(exchange);
              }
            });
      } catch (RuntimeException e) { // the executor too: it refuses work once the gateway stops
        LOG.warn("{} {}: failed: {}", exchange.method(), exchange.rawPath(), e.toString());
        answerIfNot(exchange);
      }
    }

    private static void answerIfNot(GatewayExchange exchange) {
      if (!exchange.answered()) {
        InvokeApi.sendError(exchange, ServiceException.service("the gateway failed to answer"));
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext context, Throwable cause) {
      LOG.debug(
          "connection from {} failed: {}", context.channel().remoteAddress(), cause.toString());
      context.close();
    }
  }

  /**
   * Netty's aggregator, answering a request past what it holds as the Lambda service does: the
   * Invoke API's 413 {@code RequestEntityTooLargeException} (a function URL's "Request Too Long"),
   * not a bare 413. As Netty does, a keep-alive connection stays open and the rest of the body is
   * read and dropped, so the client, still sending, gets to read the answer; others close.
   */
  private static final class Aggregator extends HttpObjectAggregator {
    Aggregator() {
      super(MAX_REQUEST);
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext context, HttpMessage oversized)
        throws Exception {
      if (!(oversized instanceof HttpRequest request)) {
        super.handleOversizedMessage(context, oversized);
        return;
      }
      String host = request.headers().get(HttpHeaderNames.HOST);
      boolean invoke =
          request.uri().startsWith(InvokePath.PREFIX)
              && (host == null
                  || !host.toLowerCase(java.util.Locale.ROOT).contains(".lambda-url."));
      FullHttpResponse response;
      if (invoke) {
        ServiceException tooLarge =
            ServiceException.tooLarge(
                "Event".equals(request.headers().get("X-Amz-Invocation-Type"))
                    ? InvokeApi.MAX_ASYNC_PAYLOAD
                    : InvokeApi.MAX_SYNC_PAYLOAD);
        response =
            new DefaultFullHttpResponse(
                HttpVersion.HTTP_1_1,
                HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                Unpooled.wrappedBuffer(InvokeApi.errorBody(tooLarge)));
        response.headers().set("x-amzn-ErrorType", tooLarge.type());
      } else {
        response =
            new DefaultFullHttpResponse(
                HttpVersion.HTTP_1_1,
                HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                Unpooled.wrappedBuffer(
                    "{\"Message\":\"Request Too Long\"}".getBytes(StandardCharsets.UTF_8)));
      }
      response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
      HttpUtil.setContentLength(response, response.content().readableBytes());
      if (HttpUtil.isKeepAlive(request)) {
        context.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
      } else {
        response.headers().set(HttpHeaderNames.CONNECTION, "close");
        context.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
      }
    }
  }

  /**
   * A function URL host serves that function's URL only, whatever the path: never the Invoke API.
   */
  private static boolean isInvoke(GatewayExchange exchange) {
    return exchange.rawPath().startsWith(InvokePath.PREFIX)
        && !FunctionReadApi.handles(exchange)
        && !FunctionUrlApi.byHost(exchange);
  }

  private Route route(GatewayExchange exchange) {
    if (isInvoke(exchange)) {
      return invokeApi::handle;
    }
    if (FunctionReadApi.handles(exchange) && !FunctionUrlApi.byHost(exchange)) {
      return reads::handle;
    }
    if (FunctionUrlApi.byHost(exchange)) {
      return urls::handle;
    }
    String path = exchange.rawPath();
    if (path.startsWith(FunctionUrlApi.PATH_PREFIX)) {
      return urls::handle;
    }
    for (Map.Entry<String, Route> route : routes.entrySet()) {
      if (path.startsWith(route.getKey())) {
        return route.getValue();
      }
    }
    return unknown ->
        InvokeApi.sendError(
            unknown, ServiceException.unknownOperation(unknown.method(), unknown.rawPath()));
  }

  /** The bound address (the port is the real one when 0 was asked for). */
  public InetSocketAddress address() {
    return (InetSocketAddress) server.localAddress();
  }

  public String baseUrl() {
    return "http://" + address().getHostString() + ":" + address().getPort();
  }

  /**
   * Stops taking connections and lets in-flight requests (and accepted events) finish within {@code
   * grace}; then closes every connection. The environments are the caller's to stop (or keep, for
   * adoption).
   */
  public void stop(Duration grace) {
    long deadline = System.nanoTime() + grace.toNanos();
    if (server != null) {
      server.close().awaitUninterruptibly(); // after a crash its event loop may be gone already
    }
    while (inFlight.get() > 0 && System.nanoTime() < deadline) {
      sleep();
    }
    if (inFlight.get() > 0) {
      LOG.warn("{} requests were still in flight when the gateway stopped", inFlight.get());
    }
    if (!async.awaitQuiet(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())))) {
      LOG.warn("{} accepted events did not complete before shutdown", async.inProgress());
    }
    connections.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
    handlers.shutdownNow();
  }

  private static void sleep() {
    try {
      Thread.sleep(10);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    stop(Duration.ofSeconds(1));
  }
}
