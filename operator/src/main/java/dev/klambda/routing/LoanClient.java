package dev.klambda.routing;

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
import dev.klambda.http.HttpConnections;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;

/**
 * Both sides of {@link ForwardingProtocol}'s loans as a client: the borrower asks and gives back,
 * the owner recalls.
 */
final class LoanClient implements LoanRequests {
  /** The owner answers at once: it lends an idle environment or says no. */
  private static final Duration ANSWER_LIMIT = Duration.ofSeconds(5);

  private final HttpConnections http;
  private final PeerKey peers;

  LoanClient(HttpConnections http, PeerKey peers) {
    this.http = http;
    this.peers = peers;
  }

  @Override
  public CompletableFuture<Loan> borrow(URI owner, String key, String borrower) {
    FullHttpRequest request = request(BORROW, key);
    request.headers().set(BORROWER, borrower);
    return exchange(
        owner, request, answer -> answer.status() == 200 ? Loan.readFrom(answer.headers()) : null);
  }

  @Override
  public CompletableFuture<Void> giveBack(
      URI lender, String key, String environmentId, boolean reusable, long idleMillis) {
    FullHttpRequest request = request(GIVE_BACK, key);
    request
        .headers()
        .set(ENVIRONMENT, environmentId)
        .set(REUSABLE, Boolean.toString(reusable))
        .set(IDLE_MILLIS, Long.toString(idleMillis));
    return exchange(
        lender,
        request,
        answer -> {
          if (answer.status() != 204) {
            throw new CompletionException(
                new IOException(lender + " did not take it back (" + answer.status() + ")"));
          }
          return null;
        });
  }

  /**
   * Asks the borrower at {@code borrower} for an idle environment of {@code key} back; completes
   * with it, or null when it has none idle.
   */
  CompletableFuture<Loan.Recalled> recall(URI borrower, String key) {
    return exchange(
        borrower,
        request(RECALL, key),
        answer ->
            answer.status() == 200
                ? new Loan.Recalled(
                    answer.headers().get(ENVIRONMENT),
                    Long.parseLong(answer.headers().get(IDLE_MILLIS)))
                : null);
  }

  /** What {@code read} makes of the answer's status and headers; the answer is let go after. */
  private <T> CompletableFuture<T> exchange(
      URI server, FullHttpRequest request, Function<HttpConnections.Answer, T> read) {
    return http.exchangeAsync(server, request, ANSWER_LIMIT)
        .thenApply(
            answer -> {
              try (answer) {
                return read.apply(answer);
              }
            });
  }

  private FullHttpRequest request(String operation, String key) {
    FullHttpRequest request =
        new DefaultFullHttpRequest(
            HttpVersion.HTTP_1_1, HttpMethod.POST, LOANS_PATH + operation, Unpooled.EMPTY_BUFFER);
    request.headers().set(FORWARDED, peers.peerToken()).set(FUNCTION, key);
    return request;
  }
}
