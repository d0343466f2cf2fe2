package dev.klambda.bench.http;

import io.netty.bootstrap.Bootstrap;
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
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.SynchronousQueue;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.ContentResponse;

/**
 * One HTTP client under test, in a JVM of its own: {@code StackClient STACK PORT CONNECTIONS WARMUP
 * REQUESTS BODY}. Each of CONNECTIONS workers sends invoke requests back to back (closed loop).
 * After the warm-up it prints {@code warm} and waits for a line on its input, so the harness reads
 * its CPU around the measured requests only; then it prints {@code done WALL_NANOS P50_NANOS
 * P99_NANOS}.
 */
public final class StackClient {
  /** A client of one stack: a call per worker, as a gateway worker makes one per invocation. */
  interface Stack {
    ClosedLoop.Call worker(int port, byte[] body) throws Exception;
  }

  private StackClient() {}

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[1]);
    int connections = Integer.parseInt(args[2]);
    int warmup = Integer.parseInt(args[3]);
    int requests = Integer.parseInt(args[4]);
    byte[] body = new byte[Integer.parseInt(args[5])];
    Arrays.fill(body, (byte) 'x');
    Stack stack =
        switch (args[0]) {
          case "jdk" -> jdk();
          case "netty" -> netty();
          case "jetty" -> jetty();
          default -> throw new IllegalArgumentException("unknown client " + args[0]);
        };
    List<ClosedLoop.Call> workers = new ArrayList<>();
    for (int i = 0; i < connections; i++) {
      workers.add(stack.worker(port, body));
    }
    ClosedLoop.run(workers, warmup / connections);
    System.out.println("warm");
    System.out.flush();
    new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
    ClosedLoop.Run run = ClosedLoop.run(workers, requests / connections);
    System.out.println("done " + run.wallNanos() + " " + run.p50() + " " + run.p99());
    System.exit(0);
  }

  /** The JDK's HttpClient as the gateway's AgentClient builds it: HTTP/1.1, virtual threads. */
  private static Stack jdk() {
    HttpClient client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2))
            .executor(Executors.newVirtualThreadPerTaskExecutor())
            .build();
    return (port, body) -> {
      URI uri = URI.create("http://127.0.0.1:" + port + "/klambda/invoke");
      return () -> {
        HttpResponse<byte[]> response =
            client.send(
                HttpRequest.newBuilder(uri)
                    .timeout(Duration.ofSeconds(30))
                    .header("Klambda-Request-Id", "8e6daa62-d0d1-4406-bb1e-9100b8692f86")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                    .build(),
                HttpResponse.BodyHandlers.ofByteArray());
        check(response.statusCode(), response.body().length, body.length);
      };
    };
  }

  /** Netty: a channel per worker on one NIO event loop, the answer handed over by a queue. */
  private static Stack netty() {
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    return (port, body) -> {
      SynchronousQueue<FullHttpResponse> answers = new SynchronousQueue<>();
      Channel channel =
          new Bootstrap()
              .group(group)
              .channel(NioSocketChannel.class)
              .option(ChannelOption.TCP_NODELAY, true)
              .handler(
                  new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                      ch.pipeline()
                          .addLast(
                              new HttpClientCodec(),
                              new HttpObjectAggregator(7 * 1024 * 1024),
                              new SimpleChannelInboundHandler<FullHttpResponse>() {
                                @Override
                                protected void channelRead0(
                                    ChannelHandlerContext context, FullHttpResponse response)
                                    throws InterruptedException {
                                  answers.put(response.retain());
                                }
                              });
                    }
                  })
              .connect("127.0.0.1", port)
              .sync()
              .channel();
      return () -> {
        FullHttpRequest request =
            new DefaultFullHttpRequest(
                HttpVersion.HTTP_1_1,
                HttpMethod.POST,
                "/klambda/invoke",
                Unpooled.wrappedBuffer(body));
        request
            .headers()
            .set(HttpHeaderNames.HOST, "127.0.0.1")
            .set("Klambda-Request-Id", "8e6daa62-d0d1-4406-bb1e-9100b8692f86")
            .set(HttpHeaderNames.CONTENT_LENGTH, body.length);
        channel.writeAndFlush(request);
        FullHttpResponse response = answers.take();
        try {
          check(response.status().code(), response.content().readableBytes(), body.length);
        } finally {
          response.release();
        }
      };
    };
  }

  /** Jetty 12's HttpClient, blocking sends over its connection pool. */
  private static Stack jetty() throws Exception {
    org.eclipse.jetty.client.HttpClient client = new org.eclipse.jetty.client.HttpClient();
    client.start();
    return (port, body) -> {
      String uri = "http://127.0.0.1:" + port + "/klambda/invoke";
      return () -> {
        ContentResponse response =
            client
                .newRequest(uri)
                .method("POST")
                .headers(h -> h.put("Klambda-Request-Id", "8e6daa62-d0d1-4406-bb1e-9100b8692f86"))
                .body(new BytesRequestContent(body))
                .send();
        check(response.getStatus(), response.getContent().length, body.length);
      };
    };
  }

  private static void check(int status, int length, int expected) {
    if (status != 200 || length != expected) {
      throw new IllegalStateException("answer " + status + " with " + length + " bytes");
    }
  }
}
