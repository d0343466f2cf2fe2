package dev.klambda.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

/**
 * External extensions: the executables in the code's {@code extensions/} folder, started at Init,
 * served the Lambda Extensions API, sent INVOKE and SHUTDOWN events. An extension is "waiting"
 * while it blocks in {@code /event/next}; Lambda's phases end when every extension is waiting.
 */
final class Extensions {
  private static final class Extension {
    final String name;
    final boolean invokeEvents;
    final boolean shutdownEvents;
    final Deque<String> events = new ArrayDeque<>();
    boolean waiting;

    Extension(String name, boolean invokeEvents, boolean shutdownEvents) {
      this.name = name;
      this.invokeEvents = invokeEvents;
      this.shutdownEvents = shutdownEvents;
    }
  }

  private final AgentConfig config;
  private final LogSink logs;
  private final ProcessStarter starter;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final List<ChildProcess> processes = new ArrayList<>();
  private final Map<String, Extension> byId = new LinkedHashMap<>();
  private InitFailure failure;
  private boolean initDone;

  Extensions(AgentConfig config, LogSink logs, ProcessStarter starter) {
    this.config = config;
    this.logs = logs;
    this.starter = starter;
  }

  /** Starts every executable in {@code extensions/}, in name order. */
  void launch(Map<String, String> env) throws InterruptedException {
    if (!config.hasExtensions()) {
      return;
    }
    List<Path> executables;
    try (Stream<Path> files = Files.list(config.extensionsDir())) {
      executables =
          files.filter(Files::isRegularFile).filter(Files::isExecutable).sorted().toList();
    } catch (IOException e) {
      throw new InitFailure(
          "Extension.LaunchError", "Cannot list " + config.extensionsDir() + ": " + e.getMessage());
    }
    for (Path executable : executables) {
      try {
        ChildProcess process =
            starter.start(
                "extension-" + executable.getFileName(),
                List.of(executable.toString()),
                env,
                config.taskRoot(),
                false);
        process.exit().thenRun(this::signal);
        lock.lock();
        try {
          processes.add(process);
        } finally {
          lock.unlock();
        }
      } catch (IOException e) {
        throw new InitFailure(
            "Extension.LaunchError", "Cannot start " + executable + ": " + e.getMessage());
      }
    }
  }

  /** Extension init: every extension started has registered and asked for its first event. */
  void awaitInitialised(long deadlineNanos) {
    lock.lock();
    try {
      while (failure == null && !(byId.size() >= processes.size() && allWaiting())) {
        if (processes.stream().anyMatch(p -> !p.isAlive())) {
          throw new InitFailure("Extension.Crash", "An extension exited during Init");
        }
        if (!awaitUntil(deadlineNanos)) {
          throw new InitFailure("Extension.InitTimeout", "Extensions did not finish Init in time");
        }
      }
      if (failure != null) {
        throw failure;
      }
      initDone = true;
    } finally {
      lock.unlock();
    }
  }

  /** {@code POST /extension/register}: returns the new extension's identifier. */
  String register(String name, String body) {
    lock.lock();
    try {
      if (initDone) {
        throw new IllegalStateException("Extensions can register during Init only");
      }
      String id = UUID.randomUUID().toString();
      byId.put(id, new Extension(name, body.contains("\"INVOKE\""), body.contains("\"SHUTDOWN\"")));
      changed.signalAll();
      return id;
    } finally {
      lock.unlock();
    }
  }

  boolean isRegistered(String id) {
    lock.lock();
    try {
      return id != null && byId.containsKey(id);
    } finally {
      lock.unlock();
    }
  }

  /** {@code GET /extension/event/next}: blocks until the extension's next event. */
  String nextEvent(String id) throws InterruptedException {
    lock.lock();
    try {
      Extension extension = byId.get(id);
      extension.waiting = true;
      changed.signalAll();
      while (extension.events.isEmpty()) {
        changed.await();
      }
      extension.waiting = false;
      changed.signalAll();
      return extension.events.poll();
    } finally {
      lock.unlock();
    }
  }

  /** {@code POST /extension/init/error} (fails Init) or {@code /exit/error} (logged). */
  void reportError(String id, String errorType, String body, boolean duringInit) {
    lock.lock();
    try {
      String name = byId.get(id).name;
      logs.line(
          "EXTENSION " + name + " reported " + errorType + (body.isBlank() ? "" : ": " + body));
      if (duringInit && !initDone) {
        failure =
            InitFailure.reported(
                errorType,
                body.isBlank()
                    ? Json.error(errorType, "Extension " + name + " failed to initialise")
                    : body);
        changed.signalAll();
      }
    } finally {
      lock.unlock();
    }
  }

  void invoke(String requestId, long deadlineMs, String traceId) {
    String event =
        "{\"eventType\":\"INVOKE\",\"deadlineMs\":"
            + deadlineMs
            + ",\"requestId\":"
            + Json.quote(requestId)
            + ",\"invokedFunctionArn\":"
            + Json.quote(config.functionArn())
            + ",\"tracing\":{\"type\":\"X-Amzn-Trace-Id\",\"value\":"
            + Json.quote(traceId)
            + "}}";
    publish(event, true);
  }

  /** The invoke phase ends when every extension is back in {@code /event/next}. */
  void awaitIdle(long deadlineNanos) {
    lock.lock();
    try {
      while (!allWaiting() && awaitUntil(deadlineNanos)) {
        // re-check
      }
    } finally {
      lock.unlock();
    }
  }

  /** SHUTDOWN to the extensions that asked for it, then {@code grace} for all of them to exit. */
  void shutdown(Duration grace) {
    long deadlineMs = System.currentTimeMillis() + grace.toMillis();
    publish(
        "{\"eventType\":\"SHUTDOWN\",\"shutdownReason\":\"spindown\",\"deadlineMs\":"
            + deadlineMs
            + "}",
        false);
    long deadlineNanos = System.nanoTime() + grace.toNanos();
    List<ChildProcess> all;
    lock.lock();
    try {
      all = List.copyOf(processes);
    } finally {
      lock.unlock();
    }
    for (ChildProcess process : all) {
      try {
        process.exit().get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (Exception notInTime) {
        process.stop(Duration.ZERO);
      }
    }
  }

  private void publish(String event, boolean invoke) {
    lock.lock();
    try {
      for (Extension extension : byId.values()) {
        if (invoke ? extension.invokeEvents : extension.shutdownEvents) {
          extension.events.add(event);
        }
      }
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private boolean allWaiting() {
    return byId.values().stream().allMatch(e -> e.waiting && e.events.isEmpty());
  }

  private boolean awaitUntil(long deadlineNanos) {
    long left = deadlineNanos - System.nanoTime();
    if (left <= 0) {
      return false;
    }
    try {
      changed.awaitNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)));
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private void signal() {
    lock.lock();
    try {
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }
}
