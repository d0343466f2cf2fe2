package dev.klambda.bench.http;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The client's side, the same for every server measured: keep-alive connections on raw sockets, so
 * that the load it puts on the machine does not depend on the stack measured.
 */
final class LoadGenerator implements AutoCloseable {
  private final List<Socket> sockets = new ArrayList<>();
  private final List<ClosedLoop.Call> calls = new ArrayList<>();

  /** Where one connection sends its requests: a port on the loopback and a path. */
  record Target(int port, String path) {}

  /** A connection per target, each sending {@code body}. */
  LoadGenerator(List<Target> targets, byte[] body) throws IOException {
    for (Target target : targets) {
      byte[] request = request(target.path(), body);
      Socket socket = new Socket();
      sockets.add(socket);
      socket.setTcpNoDelay(true);
      socket.connect(new InetSocketAddress("127.0.0.1", target.port()), 2000);
      OutputStream out = socket.getOutputStream();
      InputStream in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
      calls.add(
          () -> {
            out.write(request);
            out.flush();
            readAnswer(in, body.length);
          });
    }
  }

  /** One worker per connection, {@code perConnection} requests each. */
  ClosedLoop.Run run(int perConnection) throws InterruptedException {
    return ClosedLoop.run(calls, perConnection);
  }

  @Override
  public void close() throws IOException {
    for (Socket socket : sockets) {
      socket.close();
    }
  }

  private static byte[] request(String path, byte[] body) {
    String head =
        "POST "
            + path
            + " HTTP/1.1\r\n"
            + "Host: 127.0.0.1\r\n"
            + "Content-Type: application/json\r\n"
            + "Klambda-Request-Id: 8e6daa62-d0d1-4406-bb1e-9100b8692f86\r\n"
            + "Klambda-Trace-Id: Root=1-67891233-abcdef012345678912345678\r\n"
            + "Content-Length: "
            + body.length
            + "\r\n\r\n";
    byte[] headBytes = head.getBytes(StandardCharsets.US_ASCII);
    byte[] all = new byte[headBytes.length + body.length];
    System.arraycopy(headBytes, 0, all, 0, headBytes.length);
    System.arraycopy(body, 0, all, headBytes.length, body.length);
    return all;
  }

  /** Reads one answer: status 200 expected, the body by its Content-Length. */
  private static void readAnswer(InputStream in, int expectedLength) throws IOException {
    StringBuilder line = new StringBuilder();
    int contentLength = -1;
    boolean statusSeen = false;
    while (true) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("connection closed mid-answer");
      }
      if (b == '\n') {
        String text = line.toString().trim();
        line.setLength(0);
        if (!statusSeen) {
          if (!text.startsWith("HTTP/1.1 200")) {
            throw new IOException("unexpected status: " + text);
          }
          statusSeen = true;
        } else if (text.isEmpty()) {
          break;
        } else if (text.regionMatches(true, 0, "content-length:", 0, 15)) {
          contentLength = Integer.parseInt(text.substring(15).trim());
        }
      } else {
        line.append((char) b);
      }
    }
    if (contentLength != expectedLength) {
      throw new IOException("Content-Length " + contentLength + ", expected " + expectedLength);
    }
    in.readNBytes(contentLength);
  }
}
