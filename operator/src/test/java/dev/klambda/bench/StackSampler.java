package dev.klambda.bench;

import dev.klambda.local.LocalMode;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

/**
 * A wall-clock sampler of local mode's poller threads (the Kafka poller's platform thread, the SQS
 * poller's virtual threads): every {@code periodMs} each one's stack, reduced to the innermost
 * {@code dev.klambda} frame and the frame it called, i.e. what the poller is doing or waiting for.
 * The threads are found by reflection (LocalMode → EventSourceManager → pollers), since virtual
 * threads are in no thread list; whole-JVM JSON thread dumps, which include them, crashed JDK
 * 25.0.3 (SIGSEGV in Continuation::is_continuation_entry_frame under JVM_CreateThreadSnapshot).
 */
final class StackSampler implements AutoCloseable {
  private final Map<String, Integer> counts = new TreeMap<>();
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final Thread thread;
  private int samples;

  StackSampler(LocalMode local, long periodMs) {
    List<Thread> pollers = pollerThreads(local);
    thread =
        Thread.ofPlatform()
            .daemon()
            .name("bench-sampler")
            .start(
                () -> {
                  while (running.get()) {
                    synchronized (this) {
                      samples++;
                      for (Thread t : pollers) {
                        counts.merge(where(t.getStackTrace()), 1, Integer::sum);
                      }
                    }
                    try {
                      Thread.sleep(periodMs);
                    } catch (InterruptedException e) {
                      return;
                    }
                  }
                });
  }

  /** {@code Class.method -> callee} of the innermost klambda frame. */
  private static String where(StackTraceElement[] stack) {
    String callee = "?";
    for (StackTraceElement frame : stack) {
      String cls = frame.getClassName().substring(frame.getClassName().lastIndexOf('.') + 1);
      if (frame.getClassName().startsWith("dev.klambda.")) {
        return cls + "." + frame.getMethodName() + " -> " + callee;
      }
      callee = cls + "." + frame.getMethodName();
    }
    return "(no klambda frame) " + callee;
  }

  /** Share of thread-samples per place, largest first. */
  synchronized String report() {
    int total = counts.values().stream().mapToInt(Integer::intValue).sum();
    return counts.entrySet().stream()
        .sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
        .filter(e -> e.getValue() * 100.0 / total >= 0.5)
        .map(e -> String.format("  %5.1f%%  %s", 100.0 * e.getValue() / total, e.getKey()))
        .collect(
            Collectors.joining(
                "\n",
                "  "
                    + samples
                    + " samples of "
                    + total / Math.max(1, samples)
                    + " poller thread(s)\n",
                ""));
  }

  @Override
  public void close() throws InterruptedException {
    running.set(false);
    thread.interrupt();
    thread.join();
  }

  /** The Thread fields (and List<Thread> fields) of every running poller. */
  private static List<Thread> pollerThreads(LocalMode local) {
    try {
      Object manager = field(local, "eventSources");
      List<Thread> threads = new ArrayList<>();
      for (Object running : ((Map<?, ?>) field(manager, "running")).values()) {
        Method accessor = running.getClass().getDeclaredMethod("poller");
        accessor.setAccessible(true);
        Object poller = accessor.invoke(running);
        for (Field f : poller.getClass().getDeclaredFields()) {
          f.setAccessible(true);
          Object value = f.get(poller);
          if (value instanceof Thread t) {
            threads.add(t);
          } else if (value instanceof Collection<?> c) {
            c.stream()
                .filter(Thread.class::isInstance)
                .map(Thread.class::cast)
                .forEach(threads::add);
          }
        }
      }
      return threads;
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot find the poller threads", e);
    }
  }

  private static Object field(Object owner, String name) throws ReflectiveOperationException {
    Field f = owner.getClass().getDeclaredField(name);
    f.setAccessible(true);
    return f.get(owner);
  }
}
