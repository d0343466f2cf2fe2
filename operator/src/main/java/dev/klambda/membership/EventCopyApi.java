package dev.klambda.membership;

import dev.klambda.auth.PeerKey;
import dev.klambda.environments.InvocationRequest;
import dev.klambda.gateway.Gateway;
import dev.klambda.gateway.GatewayExchange;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * Where the other gateway replicas leave copies of the Events they accept, on the gateway's port:
 * {@code POST /klambda/v1/event-copies/ORIGIN} with the event (its function and request id in
 * headers, the payload as the body) and {@code POST /klambda/v1/event-copies/ORIGIN/done} with the
 * request ids ORIGIN is done with, one per line (none: ORIGIN is still there).
 */
public final class EventCopyApi implements Gateway.Route {
  public static final String PATH = "/klambda/v1/event-copies/";
  static final String FUNCTION = "X-Klambda-Function";
  static final String REQUEST_ID = "X-Klambda-Request-Id";
  static final String CLIENT_CONTEXT = "X-Klambda-Client-Context";
  private static final String DONE = "/done";

  static final String PEER_TOKEN = "X-Klambda-Peer-Token";

  private final EventCopies copies;
  private final PeerKey peers;

  /**
   * @param peers the replicas' shared key: only a replica may hand over an event
   */
  public EventCopyApi(EventCopies copies, PeerKey peers) {
    this.copies = copies;
    this.peers = peers;
  }

  @Override
  public void handle(GatewayExchange exchange) {
    if (!peers.isPeerToken(exchange.header(PEER_TOKEN))) {
      exchange.respond(403, new byte[0]);
      return;
    }
    String rest = exchange.rawPath().substring(PATH.length());
    if (!exchange.method().equals("POST") || rest.isEmpty()) {
      exchange.respond(404, new byte[0]);
      return;
    }
    byte[] body = exchange.copyOfBody(); // kept past the answer
    if (rest.endsWith(DONE)) {
      String origin = decode(rest.substring(0, rest.length() - DONE.length()));
      String ids = new String(body, StandardCharsets.UTF_8);
      List<String> done = ids.isBlank() ? List.of() : Arrays.asList(ids.strip().split("\n"));
      copies.forget(origin, done);
    } else {
      String key = exchange.header(FUNCTION);
      String requestId = exchange.header(REQUEST_ID);
      if (key == null || requestId == null) {
        exchange.respond(400, new byte[0]);
        return;
      }
      String context = exchange.header(CLIENT_CONTEXT);
      copies.keep(
          decode(rest),
          key,
          new InvocationRequest(
              requestId,
              body,
              context == null
                  ? null
                  : new String(Base64.getDecoder().decode(context), StandardCharsets.UTF_8),
              false));
    }
    exchange.respond(204, new byte[0]);
  }

  private static String decode(String segment) {
    return URLDecoder.decode(segment, StandardCharsets.UTF_8);
  }
}
