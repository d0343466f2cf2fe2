package dev.klambda.membership;

import dev.klambda.environments.InvocationRequest;
import dev.klambda.routing.AsyncInvoker;
import dev.klambda.routing.ServiceException;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The copies of other replicas' accepted Events that this replica keeps ({@link PeerEventJournal}
 * sends them). A replica that is no longer a member and has not been heard from for a member's
 * duration is gone: its events that were not done are run here, as Events accepted here.
 */
public final class EventCopies implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EventCopies.class);

  record Copy(String key, InvocationRequest request) {}

  /** One replica's copies, and when it was last heard from (a copy, or its done list). */
  private static final class Origin {
    final Map<String, Copy> copies = new ConcurrentHashMap<>();
    volatile long heardNanos;
  }

  private final GatewayMembers members;
  private final AsyncInvoker async;
  private final Duration silence;
  private final LongSupplier nanoTime;
  private final Map<String, Origin> origins = new ConcurrentHashMap<>();
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          Thread.ofPlatform().daemon().name("event-copies").factory());

  /**
   * @param silence how long a replica that left the members must have been silent before its events
   *     are run here: a replica that leaves in order goes on telling what it completed meanwhile
   */
  public EventCopies(
      GatewayMembers members, AsyncInvoker async, Duration silence, LongSupplier nanoTime) {
    this.members = members;
    this.async = async;
    this.silence = silence;
    this.nanoTime = nanoTime;
    long every = Math.max(100, silence.toMillis() / 4);
    timer.scheduleWithFixedDelay(this::takeOverLost, every, every, TimeUnit.MILLISECONDS);
  }

  /** Keeps the copy of an event the replica {@code origin} accepted. */
  void keep(String origin, String key, InvocationRequest request) {
    Origin from = heard(origin);
    from.copies.put(request.requestId(), new Copy(key, request));
  }

  /** The replica {@code origin} is done with these events (none: it is still there). */
  void forget(String origin, Collection<String> requestIds) {
    Origin from = heard(origin);
    requestIds.forEach(from.copies::remove);
  }

  private Origin heard(String origin) {
    Origin from = origins.computeIfAbsent(origin, o -> new Origin());
    from.heardNanos = nanoTime.getAsLong();
    return from;
  }

  /** How many copies this replica keeps. */
  public int size() {
    return origins.values().stream().mapToInt(o -> o.copies.size()).sum();
  }

  private void takeOverLost() {
    try {
      takeOverLostNow();
    } catch (RuntimeException e) {
      LOG.error(
          "gateway {}: running the event copies of lost replicas failed (retried)",
          members.self(),
          e);
    }
  }

  private void takeOverLostNow() {
    long now = nanoTime.getAsLong();
    origins.forEach(
        (origin, from) -> {
          if (members.serves(origin) || now - from.heardNanos < silence.toNanos()) {
            return;
          }
          for (Copy copy : from.copies.values()) {
            try {
              async.submit(copy.key(), copy.request());
              from.copies.remove(copy.request().requestId());
              LOG.info(
                  "function {}: event {} of the lost gateway {} runs here",
                  copy.key(),
                  copy.request().requestId(),
                  origin);
            } catch (ServiceException e) {
              LOG.warn(
                  "function {}: event {} of the lost gateway {} cannot be taken yet: {}",
                  copy.key(),
                  copy.request().requestId(),
                  origin,
                  e.getMessage());
            }
          }
          if (from.copies.isEmpty()) {
            origins.remove(origin, from);
          }
        });
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
