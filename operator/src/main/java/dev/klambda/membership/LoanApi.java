package dev.klambda.membership;

import static dev.klambda.routing.ForwardingProtocol.BORROW;
import static dev.klambda.routing.ForwardingProtocol.BORROWER;
import static dev.klambda.routing.ForwardingProtocol.ENVIRONMENT;
import static dev.klambda.routing.ForwardingProtocol.FORWARDED;
import static dev.klambda.routing.ForwardingProtocol.FUNCTION;
import static dev.klambda.routing.ForwardingProtocol.GIVE_BACK;
import static dev.klambda.routing.ForwardingProtocol.IDLE_MILLIS;
import static dev.klambda.routing.ForwardingProtocol.LOANS_PATH;
import static dev.klambda.routing.ForwardingProtocol.RECALL;
import static dev.klambda.routing.ForwardingProtocol.REUSABLE;

import dev.klambda.auth.PeerKey;
import dev.klambda.gateway.Gateway;
import dev.klambda.gateway.GatewayExchange;
import dev.klambda.routing.FunctionRegistry;
import dev.klambda.routing.Loan;
import dev.klambda.routing.ServiceException;
import java.nio.charset.StandardCharsets;

/**
 * Where the other gateway replicas borrow idle environments of the functions this one routes and
 * give them back, and where the owner of a function asks for one it lent back ({@link
 * dev.klambda.routing.ForwardingProtocol}'s loans), on the gateway's port. Only a replica may: it
 * proves so with the replicas' shared key.
 */
public final class LoanApi implements Gateway.Route {
  public static final String PATH = LOANS_PATH;

  private final FunctionRegistry registry;
  private final PeerKey peers;

  public LoanApi(FunctionRegistry registry, PeerKey peers) {
    this.registry = registry;
    this.peers = peers;
  }

  @Override
  public void handle(GatewayExchange exchange) {
    if (!peers.isPeerToken(exchange.header(FORWARDED))) {
      exchange.respond(403, new byte[0]);
      return;
    }
    String operation = exchange.rawPath().substring(PATH.length());
    String key = exchange.header(FUNCTION);
    if (!exchange.method().equals("POST") || key == null) {
      exchange.respond(404, new byte[0]);
      return;
    }
    switch (operation) {
      case BORROW -> borrow(exchange, key);
      case GIVE_BACK -> giveBack(exchange, key);
      case RECALL -> handBack(exchange, key);
      default -> exchange.respond(404, new byte[0]);
    }
  }

  private void borrow(GatewayExchange exchange, String key) {
    String borrower = exchange.header(BORROWER);
    if (borrower == null) {
      badRequest(exchange, BORROWER + " is required");
      return;
    }
    try {
      Loan loan = registry.lend(key, borrower);
      if (loan == null) {
        exchange.respond(204, new byte[0]);
        return;
      }
      loan.writeTo(exchange.responseHeaders());
      exchange.respond(200, new byte[0]);
    } catch (ServiceException notOwner) {
      exchange.respond(notOwner.status(), new byte[0]);
    }
  }

  private void giveBack(GatewayExchange exchange, String key) {
    String environment = exchange.header(ENVIRONMENT);
    String idle = exchange.header(IDLE_MILLIS);
    if (environment == null || idle == null || !idle.matches("[0-9]{1,12}")) {
      badRequest(exchange, ENVIRONMENT + " and " + IDLE_MILLIS + " (milliseconds) are required");
      return;
    }
    boolean taken =
        registry.takeBack(
            key, environment, !"false".equals(exchange.header(REUSABLE)), Long.parseLong(idle));
    exchange.respond(taken ? 204 : 404, new byte[0]);
  }

  private void handBack(GatewayExchange exchange, String key) {
    Loan.Recalled back = registry.handBack(key);
    if (back == null) {
      exchange.respond(204, new byte[0]);
      return;
    }
    exchange
        .responseHeaders()
        .set(ENVIRONMENT, back.environmentId())
        .set(IDLE_MILLIS, Long.toString(back.idleMillis()));
    exchange.respond(200, new byte[0]);
  }

  private static void badRequest(GatewayExchange exchange, String why) {
    exchange.respond(400, why.getBytes(StandardCharsets.UTF_8));
  }
}
