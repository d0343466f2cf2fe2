package dev.klambda.bench.http;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A runtime that costs next to nothing: on one keep-alive connection to the agent's Runtime API
 * ({@code AWS_LAMBDA_RUNTIME_API}), it asks for the next event and posts it back as the response,
 * over and over. With it, {@link AgentThroughput} measures what the agent itself costs per
 * invocation, as {@link EchoAgent} lets {@link GatewayThroughput} measure the gateway's.
 */
public final class EchoRuntime {
  private static final String INVOCATION = "/2018-06-01/runtime/invocation/";

  private EchoRuntime() {}

  public static void main(String[] args) throws IOException {
    String api = System.getenv("AWS_LAMBDA_RUNTIME_API");
    int colon = api.lastIndexOf(':');
    try (Socket socket =
        new Socket(api.substring(0, colon), Integer.parseInt(api.substring(colon + 1)))) {
      socket.setTcpNoDelay(true);
      OutputStream out = socket.getOutputStream();
      InputStream in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
      byte[] next =
          ("GET " + INVOCATION + "next HTTP/1.1\r\nHost: runtime\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII);
      while (true) {
        out.write(next);
        out.flush();
        Answer event = Answer.read(in);
        byte[] head =
            ("POST "
                    + INVOCATION
                    + event.requestId
                    + "/response HTTP/1.1\r\nHost: runtime\r\n"
                    + "Content-Type: application/json\r\nContent-Length: "
                    + event.body.length
                    + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        out.write(head);
        out.write(event.body);
        out.flush();
        Answer.read(in);
      }
    }
  }

  /** An HTTP/1.1 answer read off the wire: its request id header and its body. */
  private record Answer(String requestId, byte[] body) {
    static Answer read(InputStream in) throws IOException {
      StringBuilder line = new StringBuilder();
      int contentLength = 0;
      String requestId = null;
      boolean statusSeen = false;
      while (true) {
        int b = in.read();
        if (b < 0) {
          throw new IOException("the agent closed the connection");
        }
        if (b != '\n') {
          line.append((char) b);
          continue;
        }
        String text = line.toString().trim();
        line.setLength(0);
        if (!statusSeen) {
          if (!text.startsWith("HTTP/1.1 2")) {
            throw new IOException("unexpected status: " + text);
          }
          statusSeen = true;
        } else if (text.isEmpty()) {
          return new Answer(requestId, in.readNBytes(contentLength));
        } else if (text.regionMatches(true, 0, "content-length:", 0, 15)) {
          contentLength = Integer.parseInt(text.substring(15).trim());
        } else if (text.regionMatches(true, 0, "lambda-runtime-aws-request-id:", 0, 30)) {
          requestId = text.substring(30).trim();
        }
      }
    }
  }
}
