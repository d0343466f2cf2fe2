package dev.klambda.routing;

import static dev.klambda.routing.ForwardingProtocol.ERROR_TYPE;
import static dev.klambda.routing.ForwardingProtocol.FORWARDED;
import static dev.klambda.routing.ForwardingProtocol.OUTCOME;
import static dev.klambda.routing.ForwardingProtocol.QUEUE_MILLIS;
import static dev.klambda.routing.ForwardingProtocol.REQUEST_ID;

import dev.klambda.auth.PeerKey;
import dev.klambda.environments.InvocationRequest;
import dev.klambda.environments.InvocationResult;
import dev.klambda.function.InvokePath;
import dev.klambda.http.HttpConnections;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.TimeUnit;

/**
 * Forwards an invocation to the gateway replica that routes its function, over that replica's
 * Invoke API with klambda's own headers: the request id, the time left in the queue, and on the way
 * back how the invocation ended ({@link ForwardingProtocol}). A forwarded request is never
 * forwarded again.
 */
final class RemoteInvoker {
  /** Nothing was sent: the owner is gone or not there yet, so asking again is safe. */
  static final class OwnerUnreachable extends Exception {
    OwnerUnreachable(String message, Throwable cause) {
      super(message, cause, false, false);
    }
  }

  /** Past any queue wait and function timeout (Lambda's longest is 15 minutes). */
  private static final Duration ANSWER_LIMIT = Duration.ofMinutes(16);

  private final HttpConnections http;
  private final PeerKey peers;

  /**
   * @param http the connections to the other replicas
   */
  RemoteInvoker(HttpConnections http, PeerKey peers) {
    this.http = http;
    this.peers = peers;
  }

  InvocationResult invoke(URI owner, String key, InvocationRequest request, long queueDeadlineNanos)
      throws ServiceException, OwnerUnreachable, InterruptedException {
    long queueMillis =
        Math.max(0, TimeUnit.NANOSECONDS.toMillis(queueDeadlineNanos - System.nanoTime()));
    HttpConnections.Answer answer = send(owner, key, request, "RequestResponse", queueMillis);
    try {
      HttpHeaders headers = answer.headers();
      return new InvocationResult( // takes the owner's answer as it is
          InvocationResult.Outcome.valueOf(headers.get(OUTCOME, "SUCCESS")),
          answer.body(),
          headers.get(ERROR_TYPE),
          headers.get("X-Amz-Log-Result"),
          0,
          0);
    } catch (RuntimeException e) {
      answer.close();
      throw e;
    }
  }

  /** Queues an event at another replica, which runs and retries it from then on. */
  void submitEvent(URI gateway, String key, InvocationRequest request)
      throws ServiceException, OwnerUnreachable, InterruptedException {
    send(gateway, key, request, "Event", 0).close(); // accepted: there is nothing more to it
  }

  /** Sends the invocation; a 2xx answer is the caller's to close. */
  private HttpConnections.Answer send(
      URI owner, String key, InvocationRequest request, String type, long queueMillis)
      throws ServiceException, OwnerUnreachable, InterruptedException {
    FullHttpRequest http =
        new DefaultFullHttpRequest(
            HttpVersion.HTTP_1_1,
            HttpMethod.POST,
            InvokePath.of(key),
            request.payload().retainedDuplicate()); // as it is: the write releases its reference
    http.headers()
        .set("X-Amz-Invocation-Type", type)
        .set(FORWARDED, peers.peerToken())
        .set(REQUEST_ID, request.requestId())
        .set(QUEUE_MILLIS, Long.toString(queueMillis))
        .set("X-Amz-Log-Type", request.logTail() ? "Tail" : "None");
    if (request.clientContext() != null) {
      http.headers()
          .set(
              "X-Amz-Client-Context",
              Base64.getEncoder()
                  .encodeToString(request.clientContext().getBytes(StandardCharsets.UTF_8)));
    }
    HttpConnections.Answer answer;
    try {
      answer = this.http.exchange(owner, http, ANSWER_LIMIT.plusMillis(queueMillis));
    } catch (ConnectException e) {
      throw new OwnerUnreachable(owner + ": " + e, e);
    } catch (IOException e) {
      // sent, and the answer is lost: the invocation may have run, so it is not run again here
      throw ServiceException.service(
          "The gateway at "
              + owner
              + " that routes "
              + key
              + " was lost during the invocation: "
              + e);
    }
    if (answer.status() / 100 != 2) {
      ServiceException error;
      try (answer) {
        error =
            ServiceException.fromResponse(
                answer.status(),
                answer.headers().get("x-amzn-ErrorType"),
                ByteBufUtil.getBytes(answer.body()));
      }
      if (error.notOwner()) {
        throw new OwnerUnreachable(error.getMessage(), null);
      }
      throw error;
    }
    return answer;
  }
}
