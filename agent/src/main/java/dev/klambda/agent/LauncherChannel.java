package dev.klambda.agent;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The environment's processes in the function's own container, started by its launcher (the {@code
 * klambda-launcher} script, its entry point) on the agent's behalf: so the function's processes are
 * in the function's cgroup, with exactly its memory and CPU, and the agent's JVM is not. The
 * launcher connects to the agent over the Pod's loopback; the protocol is described in the script.
 * The Pod shares one process namespace, so the agent measures the function's memory in /proc as in
 * local mode.
 */
final class LauncherChannel implements ProcessStarter {
  /** The function's container starts right after the agent's: this bounds a broken one. */
  private static final Duration CONNECT_LIMIT = Duration.ofSeconds(30);

  private static final Duration STARTED_LIMIT = Duration.ofSeconds(10);

  /** What a process gets reported as when the whole container vanished under it. */
  private static final int KILLED = 128 + 9;

  private final ServerSocketChannel server;
  private final LogSink logs;
  private final Runnable onTerminate;
  private final CompletableFuture<Socket> control = new CompletableFuture<>();
  private final Map<String, Launched> byId = new ConcurrentHashMap<>();
  private final AtomicLong ids = new AtomicLong();
  private final Object sending = new Object();
  private volatile boolean closing;
  private volatile boolean lost;

  private LauncherChannel(ServerSocketChannel server, LogSink logs, Runnable onTerminate) {
    this.server = server;
    this.logs = logs;
    this.onTerminate = onTerminate;
  }

  /**
   * Listens for the launcher at {@code address}.
   *
   * @param onTerminate run when the launcher got SIGTERM: the Pod is being deleted
   */
  static LauncherChannel listen(InetSocketAddress address, LogSink logs, Runnable onTerminate)
      throws IOException {
    ServerSocketChannel server = ServerSocketChannel.open();
    server.bind(address, 16);
    LauncherChannel channel = new LauncherChannel(server, logs, onTerminate);
    Thread.ofPlatform().daemon().name("launcher-accept").start(channel::acceptLoop);
    return channel;
  }

  @Override
  public void awaitReady(Duration limit) throws IOException, InterruptedException {
    connected(limit);
  }

  @Override
  public ChildProcess start(
      String name,
      List<String> command,
      Map<String, String> env,
      Path workDir,
      boolean telemetryLog)
      throws IOException, InterruptedException {
    connected(CONNECT_LIMIT);
    if (lost) {
      throw new IOException("the function's container is gone");
    }
    String id = name.replaceAll("\\s", "_") + "-" + ids.incrementAndGet();
    Launched child = new Launched(id);
    byId.put(id, child);
    List<String> fields =
        new java.util.ArrayList<>(
            List.of("start", id, workDir.toString(), telemetryLog ? "1" : "0"));
    fields.add(Integer.toString(env.size()));
    env.forEach((k, v) -> fields.add(k + "=" + v));
    fields.add(Integer.toString(command.size()));
    fields.addAll(command);
    send(fields);
    try {
      child.pid.get(STARTED_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException | ExecutionException e) {
      byId.remove(id);
      throw new IOException(
          "the launcher did not start " + name + " within " + STARTED_LIMIT.toSeconds() + " s");
    }
    return child;
  }

  @Override
  public boolean usable() {
    return !lost;
  }

  @Override
  public void close() {
    closing = true;
    closeQuietly(server);
    control.thenAccept(LauncherChannel::closeQuietly);
  }

  private Socket connected(Duration limit) throws IOException, InterruptedException {
    try {
      return control.get(limit.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new IOException(
          "the launcher in the function's container did not connect within "
              + limit.toSeconds()
              + " s");
    } catch (ExecutionException e) {
      throw new IOException("the launcher is not connected", e.getCause());
    }
  }

  private void acceptLoop() {
    while (server.isOpen()) {
      try {
        SocketChannel connection = server.accept();
        connection.socket().setTcpNoDelay(true);
        Thread.ofVirtual().start(() -> greet(connection));
      } catch (IOException e) {
        if (server.isOpen()) {
          System.err.println("klambda-agent: launcher connection failed: " + e);
        }
      }
    }
  }

  /** The first line says what the connection is: the control connection or a process's output. */
  private void greet(SocketChannel connection) {
    Socket socket = connection.socket();
    try {
      InputStream in = socket.getInputStream();
      socket.setSoTimeout(5000);
      String greeting = firstLine(in);
      socket.setSoTimeout(0);
      if (greeting.startsWith("hello ")) {
        if (control.complete(socket)) {
          Thread.ofPlatform().daemon().name("launcher-control").start(() -> readControl(socket));
          return;
        }
      } else if (greeting.startsWith("output ")) {
        Launched child = byId.get(greeting.substring("output ".length()));
        if (child != null) {
          child.output(connection, new LogLines(logs));
          return;
        }
      } else if (greeting.startsWith("telemetry ")) {
        Launched child = byId.get(greeting.substring("telemetry ".length()));
        if (child != null) {
          child.output(connection, new LogFrames(logs));
          return;
        }
      }
      closeQuietly(socket);
    } catch (IOException e) {
      closeQuietly(socket);
    }
  }

  /** One line, byte by byte: what follows it on an output connection is the process's. */
  private static String firstLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) != -1 && b != '\n') {
      if (line.size() > 1024) {
        throw new IOException("greeting too long");
      }
      line.write(b);
    }
    return line.toString(StandardCharsets.UTF_8);
  }

  private void readControl(Socket socket) {
    try (BufferedReader lines =
        new BufferedReader(
            new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = lines.readLine()) != null) {
        String[] words = line.split(" ");
        switch (words[0]) {
          case "started" -> {
            Launched child = byId.get(words[1]);
            if (child != null) {
              child.pid.complete(Long.parseLong(words[2]));
            }
          }
          case "exited" -> {
            Launched child = byId.remove(words[1]);
            if (child != null) {
              child.exit.complete(
                  new ChildProcess.Exit(Integer.parseInt(words[2]), "1".equals(words[3])));
            }
          }
          case "terminate" -> onTerminate.run();
          default -> System.err.println("klambda-agent: unknown launcher message: " + line);
        }
      }
    } catch (IOException | RuntimeException e) {
      if (!closing) {
        System.err.println("klambda-agent: launcher connection failed: " + e);
      }
    }
    containerGone();
  }

  /**
   * The launcher's connection closed without the agent closing it: the function's container is gone
   * with everything in it. While the Pod lives, only the kernel does that: a container that reaches
   * its memory limit is OOM-killed as a group (the kubelet's default on cgroup v2), so what ran is
   * reported killed for memory, as Lambda reports it.
   */
  private void containerGone() {
    if (closing) {
      return;
    }
    lost = true;
    logs.line("klambda: the function's container ended (killed for memory, or stopped)");
    byId.values()
        .forEach(
            child -> {
              child.pid.completeExceptionally(new IOException("the function's container is gone"));
              child.exit.complete(new ChildProcess.Exit(KILLED, true));
            });
    byId.clear();
  }

  private void send(List<String> fields) throws IOException, InterruptedException {
    Socket socket = connected(CONNECT_LIMIT);
    ByteArrayOutputStream message = new ByteArrayOutputStream();
    for (String field : fields) {
      message.writeBytes(field.getBytes(StandardCharsets.UTF_8));
      message.write(0);
    }
    synchronized (sending) {
      OutputStream out = socket.getOutputStream();
      message.writeTo(out);
      out.flush();
    }
  }

  private void kill(long pid, String signal) {
    try {
      send(List.of("kill", Long.toString(pid), signal));
    } catch (IOException e) {
      // the container is gone, and the process with it
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void closeQuietly(AutoCloseable closeable) {
    try {
      closeable.close();
    } catch (Exception ignored) {
      // closing anyway
    }
  }

  /** A process the launcher runs. */
  private final class Launched implements ChildProcess {
    final String id;
    final CompletableFuture<Long> pid = new CompletableFuture<>();
    final CompletableFuture<Exit> exit = new CompletableFuture<>();
    private final PeakMemory peak = new PeakMemory();
    private final List<ChannelOutputPump> output =
        new java.util.concurrent.CopyOnWriteArrayList<>();

    Launched(String id) {
      this.id = id;
    }

    void output(SocketChannel connection, LogDecoder decoder) throws IOException {
      output.add(ChannelOutputPump.start(id, connection, decoder));
    }

    @Override
    public boolean isAlive() {
      return !exit.isDone();
    }

    @Override
    public CompletableFuture<Exit> exit() {
      return exit;
    }

    @Override
    public void drainOutput() {
      output.forEach(ChannelOutputPump::drain);
    }

    @Override
    public long peakMemoryMB() {
      Long known = pid.getNow(null);
      return known == null ? 0 : peak.of(known);
    }

    @Override
    public void stop(Duration grace) {
      Long known = pid.getNow(null);
      if (known != null && !exit.isDone()) {
        kill(known, "TERM");
        if (!awaitExit(grace)) {
          kill(known, "KILL");
          awaitExit(Duration.ofSeconds(1));
        }
      }
      drainOutput();
    }

    private boolean awaitExit(Duration limit) {
      try {
        exit.get(limit.toMillis(), TimeUnit.MILLISECONDS);
        return true;
      } catch (TimeoutException | ExecutionException e) {
        return exit.isDone();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }

    @Override
    public String toString() {
      return id;
    }
  }
}
