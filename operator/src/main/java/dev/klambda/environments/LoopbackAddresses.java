package dev.klambda.environments;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Hands out loopback addresses (127.64.0.1 – 127.127.255.254; all of 127/8 reaches the loopback on
 * Linux) so that every local environment has its own address, like a Pod IP, and its agent can use
 * the fixed ports it uses in a Pod.
 */
final class LoopbackAddresses {
  private static final int FIRST = 64 << 16;
  private static final int COUNT = 64 << 16;
  private final AtomicInteger next = new AtomicInteger(ThreadLocalRandom.current().nextInt(COUNT));

  /** An address on which all {@code ports} are free right now. */
  InetAddress allocate(int... ports) throws IOException {
    for (int attempt = 0; attempt < 1000; attempt++) {
      int n = FIRST + Math.floorMod(next.getAndIncrement(), COUNT);
      if ((n & 0xff) == 0 || (n & 0xff) == 0xff) {
        continue;
      }
      InetAddress address = address(n);
      if (free(address, ports)) {
        return address;
      }
    }
    throw new IOException(
        "no free loopback address found for ports " + java.util.Arrays.toString(ports));
  }

  private static InetAddress address(int n) throws UnknownHostException {
    return InetAddress.getByAddress(new byte[] {127, (byte) (n >> 16), (byte) (n >> 8), (byte) n});
  }

  private static boolean free(InetAddress address, int... ports) {
    for (int port : ports) {
      try (ServerSocket socket = new ServerSocket()) {
        socket.bind(new InetSocketAddress(address, port));
      } catch (IOException inUse) {
        return false;
      }
    }
    return true;
  }
}
