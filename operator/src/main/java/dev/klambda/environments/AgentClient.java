package dev.klambda.environments;

import static dev.klambda.agent.AgentProtocol.*;

import dev.klambda.agent.PoolClaim;
import dev.klambda.agent.Settlement;
import dev.klambda.http.HttpConnections;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The gateway's side of {@link dev.klambda.agent.AgentProtocol}: readiness, invocations and the
 * claims of warm-pool members.
 */
public final class AgentClient implements EnvironmentInvoker {
  /** Past the function's own limits: the agent enforces those and answers in time. */
  private static final Duration RESPONSE_MARGIN = Duration.ofSeconds(10);

  /**
   * Until the agent listens, connections are refused: try again after 1 ms, doubling up to this, so
   * a slow start costs a handful of attempts (not one every 2 ms on the node's CPU) and a fast one
   * waits little past the moment the agent listens.
   */
  private static final long MAX_CONNECT_PAUSE_MILLIS = 32;

  /** A claim is answered as soon as the code is written: a ConfigMap's worth on a local disk. */
  private static final Duration CLAIM_LIMIT = Duration.ofSeconds(10);

  /**
   * How long after an answer whose phase was still open the gateway asks for its settlement, unless
   * another invocation's answer brought it first: a busy environment settles on the way, an idle
   * one once.
   */
  private static final Duration SETTLE_DELAY = Duration.ofSeconds(1);

  private final HttpConnections http = new HttpConnections("gateway", Duration.ofSeconds(2));
  private final Settlements settlements;

  /** The environments with a settlement asked for or about to be. */
  private final Set<Environment> settling = ConcurrentHashMap.newKeySet();

  /**
   * @param settlements told the rest of the phases of invocations answered early
   */
  public AgentClient(Settlements settlements) {
    this.settlements = settlements;
  }

  /**
   * The event loops of the agents' connections, for the gateway's server to share; they end with
   * this client.
   */
  public EventLoopGroup eventLoops() {
    return http.eventLoops();
  }

  /**
   * Waits until the agent at {@code address} says its Init has ended (successfully or not).
   *
   * @param alive false once the environment is known to be gone
   * @throws IOException when it is gone or the deadline passes first
   */
  public void awaitInitEnded(URI address, long deadlineNanos, BooleanSupplier alive)
      throws IOException, InterruptedException {
    await(
        address,
        READY_PATH,
        deadlineNanos,
        alive,
        "Init did not end",
        status -> status == 200 || status == 500);
  }

  /**
   * Waits until the warm-pool member at {@code address} can be claimed: its agent listens and its
   * function container is up.
   *
   * @throws IOException when it is gone, claimed already, or the deadline passes first
   */
  public void awaitClaimable(URI address, long deadlineNanos, BooleanSupplier alive)
      throws IOException, InterruptedException {
    await(
        address,
        CLAIM_PATH,
        deadlineNanos,
        alive,
        "the pool member did not come up",
        status -> {
          if (status == 409) {
            throw new IOException("the pool member at " + address + " is claimed already");
          }
          return status == 204;
        });
  }

  /**
   * Hands the warm-pool member at {@code address} to a function: its Init begins.
   *
   * @param invokeToken what the member's agent requires (null for none)
   */
  public void claim(URI address, String invokeToken, PoolClaim claim)
      throws IOException, InterruptedException {
    FullHttpRequest request = request(HttpMethod.POST, CLAIM_PATH, claim.encode());
    if (invokeToken != null) {
      request.headers().set(INVOKE_TOKEN, invokeToken);
    }
    try (HttpConnections.Answer answer = http.exchange(address, request, CLAIM_LIMIT)) {
      if (answer.status() != 202) {
        throw new IOException(
            "the pool member at "
                + address
                + " refused the claim ("
                + answer.status()
                + "): "
                + answer.bodyText());
      }
    }
  }

  private static FullHttpRequest request(HttpMethod method, String path, byte[] body) {
    return new DefaultFullHttpRequest(
        HttpVersion.HTTP_1_1,
        method,
        path,
        body.length == 0 ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
  }

  /** What to make of a status: true when the wait is over, false to ask again. */
  private interface StatusCheck {
    boolean done(int status) throws IOException;
  }

  /**
   * GETs {@code path} with a wait parameter (the agent holds the answer until it can say yes),
   * again and again until {@code check} says done; while nothing listens, after a backoff.
   */
  private void await(
      URI address,
      String path,
      long deadlineNanos,
      BooleanSupplier alive,
      String lateMessage,
      StatusCheck check)
      throws IOException, InterruptedException {
    long pause = 1;
    while (true) {
      long leftMillis = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
      if (leftMillis <= 0) {
        throw new IOException(lateMessage + " in time at " + address);
      }
      if (!alive.getAsBoolean()) {
        throw new IOException("the environment exited during start-up");
      }
      long waitMillis = Math.min(leftMillis, 5000);
      int status;
      try (HttpConnections.Answer answer =
          http.exchange(
              address,
              request(
                  HttpMethod.GET,
                  path + "?" + READY_WAIT_PARAMETER + "=" + waitMillis,
                  new byte[0]),
              Duration.ofMillis(waitMillis + 1000))) {
        status = answer.status();
      } catch (ConnectException | SocketTimeoutException notYet) {
        // the agent does not listen yet
        Thread.sleep(pause);
        pause = Math.min(MAX_CONNECT_PAUSE_MILLIS, pause * 2);
        continue;
      }
      if (check.done(status)) {
        return;
      }
    }
  }

  @Override
  public InvocationResult invoke(Environment environment, InvocationRequest invocation)
      throws EnvironmentUnavailableException, IOException, InterruptedException {
    CompletableFuture<InvocationResult> result = invokeAsync(environment, invocation);
    try {
      return result.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof EnvironmentUnavailableException unavailable) {
        throw unavailable;
      }
      throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
    } catch (InterruptedException e) {
      result.thenAccept(InvocationResult::close); // an answer that comes now is nobody's
      throw e;
    }
  }

  /** Completes on the agent connection's event loop: nothing blocks. */
  @Override
  public CompletableFuture<InvocationResult> invokeAsync(
      Environment environment, InvocationRequest invocation) {
    Duration limit =
        environment
            .function()
            .timeout()
            .plus(environment.function().initTimeout())
            .plus(RESPONSE_MARGIN);
    HttpHeaders headers = new DefaultHttpHeaders().set(REQUEST_ID, invocation.requestId());
    if (environment.invokeToken() != null) {
      headers.set(INVOKE_TOKEN, environment.invokeToken());
    }
    if (invocation.clientContext() != null) {
      headers.set(CLIENT_CONTEXT, invocation.clientContext());
    }
    if (invocation.logTail()) {
      headers.set(LOG_TYPE, "Tail");
    }
    // the caller's buffer as it is, once nothing can fail before the write, which takes a
    // reference of its own and releases it
    FullHttpRequest request =
        new DefaultFullHttpRequest(
            HttpVersion.HTTP_1_1,
            HttpMethod.POST,
            INVOKE_PATH,
            invocation.payload().retainedDuplicate(),
            headers,
            EmptyHttpHeaders.INSTANCE);
    return http.exchangeAsync(environment.address(), request, limit)
        .handle(
            (answer, failed) -> {
              if (failed instanceof ConnectException refused) {
                throw new CompletionException(
                    new EnvironmentUnavailableException("cannot reach " + environment, refused));
              }
              if (failed != null) {
                throw failed instanceof CompletionException c ? c : new CompletionException(failed);
              }
              try {
                return result(environment, answer);
              } catch (RuntimeException e) {
                answer.close();
                throw e;
              }
            });
  }

  /**
   * The invocation's result, which takes the answer's body as it is; a {@link CompletionException}
   * of {@link EnvironmentUnavailableException} when the environment did not run it.
   */
  private InvocationResult result(Environment environment, HttpConnections.Answer answer) {
    HttpHeaders headers = answer.headers();
    settle(environment, headers);
    if (PHASE_OPEN_VALUE.equals(headers.get(PHASE))) {
      settleLater(environment);
    }
    String outcome = headers.get(OUTCOME, OUTCOME_UNAVAILABLE);
    if (answer.status() != 200 || outcome.equals(OUTCOME_UNAVAILABLE)) {
      throw new CompletionException(
          new EnvironmentUnavailableException(
              environment + " answered " + answer.status() + ": " + answer.bodyText(), null));
    }
    return new InvocationResult(
        InvocationResult.Outcome.fromHeader(outcome),
        answer.body(),
        headers.get(ERROR_TYPE),
        headers.get(LOG_RESULT),
        number(headers, DURATION_MICROS),
        number(headers, INIT_DURATION_MICROS));
  }

  private void settle(Environment environment, HttpHeaders headers) {
    for (Settlement settlement : Settlement.decode(headers.get(SETTLED))) {
      settlements.settled(environment.function(), settlement);
    }
  }

  /**
   * Asks the environment for its settlements after {@link #SETTLE_DELAY}, waiting up to the
   * function's timeout for the phase to end; at most one such request per environment at a time. A
   * settlement lost with its environment (gone within the delay) leaves that invocation billed up
   * to its answer.
   */
  private void settleLater(Environment environment) {
    if (!settling.add(environment)) {
      return;
    }
    long waitMillis = environment.function().timeout().toMillis();
    http.eventLoops()
        .schedule(
            () -> {
              FullHttpRequest request =
                  request(
                      HttpMethod.GET,
                      SETTLED_PATH + "?" + READY_WAIT_PARAMETER + "=" + waitMillis,
                      new byte[0]);
              if (environment.invokeToken() != null) {
                request.headers().set(INVOKE_TOKEN, environment.invokeToken());
              }
              http.exchangeAsync(
                      environment.address(),
                      request,
                      Duration.ofMillis(waitMillis).plus(RESPONSE_MARGIN))
                  .whenComplete(
                      (answer, failed) -> {
                        settling.remove(environment);
                        if (answer != null) {
                          try (answer) {
                            settle(environment, answer.headers());
                          }
                        }
                      });
            },
            SETTLE_DELAY.toMillis(),
            TimeUnit.MILLISECONDS);
  }

  /** A measurement header of the agent's; 0 when absent. */
  private static long number(HttpHeaders headers, String name) {
    String value = headers.get(name);
    return value == null ? 0 : Long.parseLong(value);
  }

  @Override
  public void close() {
    http.close();
  }
}
