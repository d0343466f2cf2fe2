package dev.klambda.bench.http;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * One HTTP server under test, in a JVM of its own: {@code StackServer STACK PORT}. It answers every
 * POST as the agent answers an invocation (its headers, the body echoed), prints {@code listening}
 * and runs until its standard input closes (the harness ended).
 */
public final class StackServer {
  /** The invoke answer's headers, as the agent sends them. */
  static final Map<String, String> HEADERS =
      Map.of(
          "Klambda-Outcome", "success",
          "Klambda-Duration-Micros", "412",
          "Klambda-Init-Duration-Micros", "0");

  static final String CONTENT_TYPE = "application/json";

  /** A server of one stack, answering on {@code address} until the JVM exits. */
  interface Stack {
    void start(InetSocketAddress address) throws Exception;
  }

  private StackServer() {}

  public static void main(String[] args) throws Exception {
    Stack stack =
        switch (args[0]) {
          case "jdk-virtual" -> new JdkServer(JdkServer.Handlers.VIRTUAL);
          case "jdk-platform" -> new JdkServer(JdkServer.Handlers.PLATFORM);
          case "jdk-dispatcher" -> new JdkServer(JdkServer.Handlers.DISPATCHER);
          case "netty-nio" -> new NettyServer(false);
          case "netty-epoll" -> new NettyServer(true);
          case "jetty" -> new JettyServer();
          default -> throw new IllegalArgumentException("unknown stack " + args[0]);
        };
    stack.start(new InetSocketAddress("127.0.0.1", Integer.parseInt(args[1])));
    System.out.println("listening");
    System.out.flush();
    while (System.in.read() >= 0) {
      // until the harness closes our input
    }
    System.exit(0);
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
