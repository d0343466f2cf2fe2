package dev.klambda.kubelet;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/**
 * Pod IPs on the loopback: 127.0.0.2, 127.0.0.3, … 127.0.1.1, …, below 127.64/10 (local mode's
 * range). The pool is JVM-wide because tests may run several fixtures at once.
 */
final class PodIpPool {
  /** Addresses in use by the agents of every fixture of this JVM. */
  private static final Set<InetAddress> RESERVED = ConcurrentHashMap.newKeySet();

  /**
   * The next address to try: addresses are not reused soon, so a client still holding a dead Pod's
   * IP gets no answer instead of another Pod's.
   */
  private static final AtomicInteger NEXT = new AtomicInteger(2);

  private static final int LIMIT = 64 << 16;

  private PodIpPool() {}

  /** The next address not in use on which all these ports are free. */
  static InetAddress allocate(int... ports) throws IOException {
    for (int attempt = 0; attempt < 4096; attempt++) {
      int n = NEXT.getAndUpdate(i -> i + 1 < LIMIT ? i + 1 : 2);
      if ((n & 0xff) == 0 || (n & 0xff) == 0xff) {
        continue;
      }
      InetAddress address = loopback(n);
      if (!RESERVED.add(address)) {
        continue;
      }
      if (bindable(address, ports)) {
        return address;
      }
      RESERVED.remove(address);
    }
    throw new IOException(
        "no loopback address with ports "
            + Arrays.stream(ports).mapToObj(Integer::toString).collect(Collectors.joining(" and "))
            + " free");
  }

  static void release(InetAddress address) {
    RESERVED.remove(address);
  }

  private static InetAddress loopback(int n) throws UnknownHostException {
    return InetAddress.getByAddress(new byte[] {127, (byte) (n >> 16), (byte) (n >> 8), (byte) n});
  }

  private static boolean bindable(InetAddress address, int... ports) {
    for (int port : ports) {
      try (ServerSocket socket = new ServerSocket()) {
        socket.setReuseAddress(true);
        socket.bind(new InetSocketAddress(address, port));
      } catch (IOException inUse) {
        return false;
      }
    }
    return true;
  }
}
