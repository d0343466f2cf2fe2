package dev.klambda.testing;

import io.netty.buffer.AbstractByteBuf;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.lang.reflect.Field;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Netty's leak detection at its strictest while open: every buffer allocated is tracked, and a
 * buffer collected without its last release is a leak, kept here with where it was touched.
 */
public final class NettyLeaks implements AutoCloseable {
  private final ResourceLeakDetector.Level before = ResourceLeakDetector.getLevel();
  private final ResourceLeakDetector<ByteBuf> detector = bufferLeakDetector();
  private final List<String> leaks = new CopyOnWriteArrayList<>();

  /** Leaks of earlier tests in the same JVM, collectable already, are not this one's. */
  public NettyLeaks() throws InterruptedException {
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    collect();
    detector.setLeakListener((type, records) -> leaks.add(type + ":" + records));
  }

  /** The leaks found once the buffers nobody refers to any more are collected. */
  public List<String> found() throws InterruptedException {
    collect();
    return List.copyOf(leaks);
  }

  /** The detector looks when a buffer is allocated: collect, then allocate, a few times. */
  private static void collect() throws InterruptedException {
    for (int i = 0; i < 5; i++) {
      System.gc();
      Thread.sleep(100);
      ByteBufAllocator.DEFAULT.directBuffer(1).release();
      ByteBufAllocator.DEFAULT.heapBuffer(1).release();
    }
  }

  @Override
  public void close() {
    detector.setLeakListener(null);
    ResourceLeakDetector.setLevel(before);
  }

  /** The detector every buffer allocator reports to: Netty keeps it in a package-private field. */
  @SuppressWarnings("unchecked")
  private static ResourceLeakDetector<ByteBuf> bufferLeakDetector() {
    try {
      Field field = AbstractByteBuf.class.getDeclaredField("leakDetector");
      field.setAccessible(true);
      return (ResourceLeakDetector<ByteBuf>) field.get(null);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("Netty's buffer leak detector moved", e);
    }
  }
}
