package dev.klambda.membership;

import dev.klambda.auth.PeerKey;
import dev.klambda.environments.InvocationRequest;
import dev.klambda.http.HttpConnections;
import dev.klambda.routing.EventJournal;
import dev.klambda.routing.ServiceException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a copy of each Event this replica accepts at another replica ({@link EventCopies} there),
 * before the caller hears 202, and tells that replica which events are done with, every {@code
 * flushEvery} (an empty list says this replica is still there). A copy whose keeper leaves is kept
 * again at another replica; with no other replica an event lives in this one's memory only, until
 * one joins.
 */
public final class PeerEventJournal implements EventJournal, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PeerEventJournal.class);
  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  /** An event not yet done with, and the replica that keeps its copy (null: none yet). */
  private record Kept(String key, InvocationRequest request, GatewayMembers.Member keeper) {}

  private final GatewayMembers members;
  private final PeerKey peers;
  private final HttpConnections http = new HttpConnections("event-copies", Duration.ofSeconds(1));
  private final Map<String, Kept> kept = new ConcurrentHashMap<>();

  /** Request ids done with, by the keeper of their copy, not yet told. */
  private final Map<GatewayMembers.Member, Set<String>> done = new ConcurrentHashMap<>();

  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          Thread.ofPlatform().daemon().name("event-journal").factory());

  /**
   * @param peers the replicas' shared key, which every copy and "done" carries
   */
  public PeerEventJournal(GatewayMembers members, Duration flushEvery, PeerKey peers) {
    this.members = members;
    this.peers = peers;
    timer.scheduleWithFixedDelay(
        this::flushQuietly, flushEvery.toMillis(), flushEvery.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public void keep(String key, InvocationRequest request) throws ServiceException {
    List<GatewayMembers.Member> peers = members.peersFor(request.requestId());
    GatewayMembers.Member keeper = copy(key, request, peers);
    if (keeper == null && !peers.isEmpty()) {
      throw ServiceException.service(
          "The event could not be accepted: no other gateway replica could keep "
              + "a copy of it (tried "
              + peers.stream().map(GatewayMembers.Member::identity).toList()
              + ")");
    }
    kept.put(request.requestId(), new Kept(key, request, keeper));
  }

  @Override
  public boolean copied(String requestId) {
    Kept event = kept.get(requestId);
    return event != null && event.keeper() != null;
  }

  @Override
  public void done(String requestId) {
    Kept event = kept.remove(requestId);
    if (event != null && event.keeper() != null) {
      tell(event.keeper(), requestId);
    }
  }

  /**
   * Adds {@code requestId} to what {@code keeper} hears next; atomic with the flush taking the
   * list.
   */
  private void tell(GatewayMembers.Member keeper, String requestId) {
    done.compute(
        keeper,
        (k, ids) -> {
          Set<String> next = ids != null ? ids : ConcurrentHashMap.newKeySet();
          next.add(requestId);
          return next;
        });
  }

  /** Events accepted here and not yet done with. */
  public int size() {
    return kept.size();
  }

  /** The first of {@code peers} that takes the copy; null when none does. */
  private GatewayMembers.Member copy(
      String key, InvocationRequest request, List<GatewayMembers.Member> peers)
      throws ServiceException {
    for (GatewayMembers.Member peer : peers) {
      FullHttpRequest post = post(peer, "", request.payload().retainedDuplicate());
      post.headers()
          .set(EventCopyApi.FUNCTION, key)
          .set(EventCopyApi.REQUEST_ID, request.requestId());
      if (request.clientContext() != null) {
        post.headers()
            .set(
                EventCopyApi.CLIENT_CONTEXT,
                Base64.getEncoder()
                    .encodeToString(request.clientContext().getBytes(StandardCharsets.UTF_8)));
      }
      try (HttpConnections.Answer answer = http.exchange(peer.url(), post, TIMEOUT)) {
        if (answer.status() == 204) {
          return peer;
        }
      } catch (IOException e) {
        LOG.info(
            "function {}: event {} cannot be copied to the gateway {}: {}",
            key,
            request.requestId(),
            peer.identity(),
            e.toString());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw ServiceException.service("interrupted while keeping the event");
      }
    }
    return null;
  }

  /**
   * A POST of {@code body}, whose reference it takes, to this replica's copies at {@code peer},
   * {@code suffix} after them.
   */
  private FullHttpRequest post(GatewayMembers.Member peer, String suffix, ByteBuf body) {
    FullHttpRequest post =
        new DefaultFullHttpRequest(
            HttpVersion.HTTP_1_1,
            HttpMethod.POST,
            EventCopyApi.PATH + URLEncoder.encode(members.self(), StandardCharsets.UTF_8) + suffix,
            body);
    post.headers().set(EventCopyApi.PEER_TOKEN, peers.peerToken());
    return post;
  }

  private void flushQuietly() {
    try {
      flush();
    } catch (RuntimeException e) {
      LOG.warn(
          "gateway {}: telling the keepers of event copies failed (retried)", members.self(), e);
    }
    try {
      copyAgain();
    } catch (RuntimeException e) {
      LOG.warn("gateway {}: keeping event copies again failed (retried)", members.self(), e);
    }
  }

  /** Tells every keeper of a copy what is done, or that this replica is still there. */
  private void flush() {
    Set<GatewayMembers.Member> keepers =
        kept.values().stream().map(Kept::keeper).filter(k -> k != null).collect(Collectors.toSet());
    keepers.addAll(done.keySet());
    for (GatewayMembers.Member keeper : keepers) {
      Set<String> ids = done.get(keeper);
      List<String> batch = ids == null ? List.of() : new ArrayList<>(ids);
      try (HttpConnections.Answer answer =
          http.exchange(
              keeper.url(),
              post(
                  keeper,
                  "/done",
                  Unpooled.wrappedBuffer(
                      String.join("\n", batch).getBytes(StandardCharsets.UTF_8))),
              TIMEOUT)) {
        if (answer.status() == 204 && !batch.isEmpty()) {
          done.computeIfPresent(
              keeper,
              (k, left) -> {
                batch.forEach(left::remove);
                return left.isEmpty() ? null : left;
              });
        }
      } catch (IOException e) {
        if (!members.serves(keeper.identity())) {
          done.remove(keeper); // gone: it keeps nothing of ours any more
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** Events whose copy has no keeper, or one that left: kept again at a replica that serves. */
  private void copyAgain() {
    for (Kept event : kept.values()) {
      if (event.keeper() != null && members.serves(event.keeper().identity())) {
        continue;
      }
      List<GatewayMembers.Member> peers = members.peersFor(event.request().requestId());
      if (peers.isEmpty()) {
        continue;
      }
      try {
        GatewayMembers.Member keeper = copy(event.key(), event.request(), peers);
        if (keeper == null) {
          continue;
        }
        String id = event.request().requestId();
        if (!kept.replace(id, event, new Kept(event.key(), event.request(), keeper))) {
          tell(keeper, id); // done meanwhile: the new copy is forgotten as soon as it is made
        } else if (event.keeper() != null) {
          tell(event.keeper(), id); // the former keeper may only have been out of sight
        }
      } catch (ServiceException e) {
        return; // interrupted: closing
      }
    }
  }

  /** Tells the keepers what is done one last time: a replica that leaves in order. */
  public void flushAndClose() {
    try {
      timer.submit(this::flush).get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.warn("gateway {}: the last done list did not reach every keeper", members.self(), e);
    }
    close();
  }

  @Override
  public void close() {
    timer.shutdownNow();
    http.close();
  }
}
