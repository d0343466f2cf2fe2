package dev.klambda.agent;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;

/**
 * Copies a process's output from the launcher's connection into the {@link LogSink} line by line.
 * Unlike a process's pipe, a socket can be waited on: the thread sleeps in {@code select} until
 * there is output (an idle environment costs no CPU), and every read is non-blocking under one
 * lock, so {@link #drain} can copy what the runtime printed just before it answered and the
 * invocation's log tail includes those lines.
 */
final class ChannelOutputPump {
  private final SocketChannel channel;
  private final Selector selector;
  private final LogDecoder lines;
  private final ByteBuffer buffer = ByteBuffer.allocate(8192);
  private boolean ended;

  private ChannelOutputPump(SocketChannel channel, Selector selector, LogDecoder lines) {
    this.channel = channel;
    this.selector = selector;
    this.lines = lines;
  }

  static ChannelOutputPump start(String name, SocketChannel channel, LogDecoder decoder)
      throws IOException {
    channel.configureBlocking(false);
    Selector selector = Selector.open();
    channel.register(selector, SelectionKey.OP_READ);
    ChannelOutputPump pump = new ChannelOutputPump(channel, selector, decoder);
    Thread.ofPlatform().daemon().name("output-" + name).start(pump::run);
    return pump;
  }

  private void run() {
    try (selector;
        channel) {
      while (copyAvailable()) {
        selector.select();
        selector.selectedKeys().clear();
      }
    } catch (IOException closed) {
      end();
    }
  }

  private synchronized void end() {
    lines.end();
  }

  /** Copies what can be read now; false once the stream has ended. */
  private synchronized boolean copyAvailable() throws IOException {
    if (ended) {
      return false;
    }
    int n;
    while ((n = channel.read(buffer.clear())) > 0) {
      lines.write(buffer.array(), n);
    }
    if (n < 0) {
      ended = true;
      lines.end();
    }
    return !ended;
  }

  /** Copies everything the process has written so far into the sink, now. */
  synchronized void drain() {
    try {
      copyAvailable();
    } catch (IOException closed) {
      // nothing more to copy
    }
    lines.flush();
  }
}
