package dev.klambda.environments;

import static dev.klambda.agent.AgentProtocol.*;

import dev.klambda.agent.PoolClaim;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.concurrent.Executors;
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
   * Until the agent listens, connections are refused: try again after 1 ms, doubling up to this,
   * so a slow start costs a handful of attempts (not one every 2 ms on the node's CPU) and a fast
   * one waits little past the moment the agent listens.
   */
  private static final long MAX_CONNECT_PAUSE_MILLIS = 32;
  /** A claim is answered as soon as the code is written: a ConfigMap's worth on a local disk. */
  private static final Duration CLAIM_LIMIT = Duration.ofSeconds(10);

  private final HttpClient http = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(2))
      .executor(Executors.newVirtualThreadPerTaskExecutor())
      .build();

  /**
   * Waits until the agent at {@code address} says its Init has ended (successfully or not).
   *
   * @param alive false once the environment is known to be gone
   * @throws IOException when it is gone or the deadline passes first
   */
  public void awaitInitEnded(URI address, long deadlineNanos, BooleanSupplier alive)
      throws IOException, InterruptedException {
    await(address, READY_PATH, deadlineNanos, alive, "Init did not end",
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
    await(address, CLAIM_PATH, deadlineNanos, alive, "the pool member did not come up", status -> {
      if (status == 409) {
        throw new IOException("the pool member at " + address + " is claimed already");
      }
      return status == 204;
    });
  }

  /** Hands the warm-pool member at {@code address} to a function: its Init begins. */
  public void claim(URI address, PoolClaim claim) throws IOException, InterruptedException {
    HttpRequest request = HttpRequest.newBuilder(address.resolve(CLAIM_PATH))
        .timeout(CLAIM_LIMIT)
        .POST(HttpRequest.BodyPublishers.ofByteArray(claim.encode()))
        .build();
    HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 202) {
      throw new IOException("the pool member at " + address + " refused the claim ("
          + response.statusCode() + "): " + response.body());
    }
  }

  /** What to make of a status: true when the wait is over, false to ask again. */
  private interface StatusCheck {
    boolean done(int status) throws IOException;
  }

  /**
   * GETs {@code path} with a wait parameter (the agent holds the answer until it can say yes),
   * again and again until {@code check} says done; while nothing listens, after a backoff.
   */
  private void await(URI address, String path, long deadlineNanos, BooleanSupplier alive,
      String lateMessage, StatusCheck check) throws IOException, InterruptedException {
    long pause = 1;
    while (true) {
      long leftMillis = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
      if (leftMillis <= 0) {
        throw new IOException(lateMessage + " in time at " + address);
      }
      if (!alive.getAsBoolean()) {
        throw new IOException("the environment exited during start-up");
      }
      HttpRequest request = HttpRequest.newBuilder(
              address.resolve(path + "?" + READY_WAIT_PARAMETER + "=" + Math.min(leftMillis, 5000)))
          .timeout(Duration.ofMillis(Math.min(leftMillis, 5000) + 1000))
          .GET().build();
      try {
        if (check.done(http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode())) {
          return;
        }
      } catch (ConnectException | HttpTimeoutException notYet) {
        // the agent does not listen yet
        Thread.sleep(pause);
        pause = Math.min(MAX_CONNECT_PAUSE_MILLIS, pause * 2);
      }
    }
  }

  @Override
  public InvocationResult invoke(Environment environment, InvocationRequest invocation)
      throws EnvironmentUnavailableException, IOException, InterruptedException {
    Duration limit = environment.function().timeout()
        .plus(environment.function().initTimeout()).plus(RESPONSE_MARGIN);
    HttpRequest.Builder request = HttpRequest.newBuilder(environment.address().resolve(INVOKE_PATH))
        .timeout(limit)
        .header(REQUEST_ID, invocation.requestId())
        .POST(HttpRequest.BodyPublishers.ofByteArray(invocation.payload()));
    if (invocation.clientContext() != null) {
      request.header(CLIENT_CONTEXT, invocation.clientContext());
    }
    if (invocation.logTail()) {
      request.header(LOG_TYPE, "Tail");
    }
    HttpResponse<byte[]> response;
    try {
      response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (ConnectException e) {
      throw new EnvironmentUnavailableException("cannot reach " + environment, e);
    }
    String outcome = response.headers().firstValue(OUTCOME).orElse(OUTCOME_UNAVAILABLE);
    if (response.statusCode() != 200 || outcome.equals(OUTCOME_UNAVAILABLE)) {
      throw new EnvironmentUnavailableException(environment + " answered " + response.statusCode()
          + ": " + new String(response.body(), java.nio.charset.StandardCharsets.UTF_8), null);
    }
    var headers = response.headers();
    return new InvocationResult(
        InvocationResult.Outcome.fromHeader(outcome),
        response.body(),
        headers.firstValue(ERROR_TYPE).orElse(null),
        headers.firstValue(LOG_RESULT).orElse(null),
        headers.firstValueAsLong(DURATION_MICROS).orElse(0),
        headers.firstValueAsLong(INIT_DURATION_MICROS).orElse(0),
        headers.firstValueAsLong(BILLED_MILLIS).orElse(0),
        headers.firstValueAsLong(MAX_MEMORY_MB).orElse(0));
  }
}
