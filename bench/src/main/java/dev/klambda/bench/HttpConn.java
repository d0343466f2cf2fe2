package dev.klambda.bench;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A minimal blocking HTTP/1.1 client over one keep-alive connection, used by the load generator:
 * one request is one write and the answer is read on the calling thread, so the client adds almost
 * nothing (no selector thread, no hand-offs) to what is measured. Not thread-safe: one per worker.
 */
final class HttpConn implements Closeable {
  /** An answer; header names are lower-cased. */
  record Response(int status, Map<String, String> headers, byte[] body) {
    String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }

    String text() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  /** The connection failed before any byte of the answer came: safe to retry on a new one. */
  private static final class NothingReceived extends IOException {
    private static final long serialVersionUID = 1L;

    NothingReceived(Throwable cause) {
      super(cause);
    }
  }

  private final String host;
  private final int port;
  private final int readTimeoutMillis;
  private Socket socket;
  private InputStream in;
  private OutputStream out;

  HttpConn(String host, int port, int readTimeoutMillis) {
    this.host = host;
    this.port = port;
    this.readTimeoutMillis = readTimeoutMillis;
  }

  /** Opens the connection now (else the first request does). */
  HttpConn connect() throws IOException {
    ensureOpen();
    return this;
  }

  /**
   * Sends one request and reads the whole answer. {@code extraHeaders} is raw header lines, each
   * ending in CRLF (or empty).
   */
  Response send(String method, String path, String extraHeaders, byte[] body) throws IOException {
    byte[] request = encode(method, path, extraHeaders, body);
    boolean fresh = ensureOpen();
    try {
      return exchange(method, request);
    } catch (NothingReceived stale) {
      close();
      if (fresh) {
        throw stale;
      }
      // a kept-alive connection the server had closed: once more on a new one
      ensureOpen();
      return exchange(method, request);
    } catch (IOException e) {
      close();
      throw e;
    }
  }

  private boolean ensureOpen() throws IOException {
    if (socket != null) {
      return false;
    }
    Socket s = new Socket();
    try {
      s.setTcpNoDelay(true);
      s.connect(new InetSocketAddress(host, port), 2000);
      s.setSoTimeout(readTimeoutMillis);
      in = new BufferedInputStream(s.getInputStream(), 16 * 1024);
      out = s.getOutputStream();
    } catch (IOException e) {
      s.close();
      throw e;
    }
    socket = s;
    return true;
  }

  private byte[] encode(String method, String path, String extraHeaders, byte[] body) {
    StringBuilder head =
        new StringBuilder(256)
            .append(method)
            .append(' ')
            .append(path)
            .append(" HTTP/1.1\r\n")
            .append("Host: ")
            .append(host)
            .append(':')
            .append(port)
            .append("\r\n")
            .append(extraHeaders);
    if (body != null) {
      head.append("Content-Type: application/json\r\nContent-Length: ")
          .append(body.length)
          .append("\r\n");
    }
    head.append("\r\n");
    byte[] headBytes = head.toString().getBytes(StandardCharsets.ISO_8859_1);
    if (body == null || body.length == 0) {
      return headBytes;
    }
    byte[] all = new byte[headBytes.length + body.length];
    System.arraycopy(headBytes, 0, all, 0, headBytes.length);
    System.arraycopy(body, 0, all, headBytes.length, body.length);
    return all;
  }

  private Response exchange(String method, byte[] request) throws IOException {
    String statusLine;
    try {
      out.write(request);
      out.flush();
      int first = in.read();
      if (first < 0) {
        throw new EOFException("connection closed by the server");
      }
      statusLine = (char) first + readLine();
    } catch (IOException e) {
      throw new NothingReceived(e);
    }
    if (statusLine.length() < 12 || !statusLine.startsWith("HTTP/1.")) {
      throw new IOException("not an HTTP answer: " + statusLine);
    }
    int status = Integer.parseInt(statusLine.substring(9, 12));
    Map<String, String> headers = new HashMap<>();
    String line;
    while (!(line = readLine()).isEmpty()) {
      int colon = line.indexOf(':');
      if (colon > 0) {
        headers.put(
            line.substring(0, colon).trim().toLowerCase(Locale.ROOT),
            line.substring(colon + 1).trim());
      }
    }
    byte[] body;
    String length = headers.get("content-length");
    if (method.equals("HEAD") || status == 204 || status == 304 || status < 200) {
      body = new byte[0];
    } else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
      body = readChunked();
    } else if (length != null) {
      int n = Integer.parseInt(length);
      body = in.readNBytes(n);
      if (body.length < n) {
        throw new EOFException("answer cut short");
      }
    } else {
      body = in.readAllBytes();
      close();
    }
    if ("close".equalsIgnoreCase(headers.get("connection"))) {
      close();
    }
    return new Response(status, headers, body);
  }

  private byte[] readChunked() throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    while (true) {
      String sizeLine = readLine();
      int semicolon = sizeLine.indexOf(';');
      int size =
          Integer.parseInt(
              (semicolon < 0 ? sizeLine : sizeLine.substring(0, semicolon)).trim(), 16);
      if (size == 0) {
        while (!readLine().isEmpty()) {
          // trailers
        }
        return body.toByteArray();
      }
      byte[] chunk = in.readNBytes(size);
      if (chunk.length < size) {
        throw new EOFException("chunk cut short");
      }
      body.writeBytes(chunk);
      readLine();
    }
  }

  private String readLine() throws IOException {
    StringBuilder line = new StringBuilder(64);
    int b;
    while ((b = in.read()) >= 0) {
      if (b == '\n') {
        int last = line.length() - 1;
        if (last >= 0 && line.charAt(last) == '\r') {
          line.setLength(last);
        }
        return line.toString();
      }
      line.append((char) b);
    }
    throw new EOFException("connection closed in the middle of an answer");
  }

  @Override
  public void close() {
    if (socket != null) {
      try {
        socket.close();
      } catch (IOException ignored) {
        // closing anyway
      }
      socket = null;
      in = null;
      out = null;
    }
  }
}
