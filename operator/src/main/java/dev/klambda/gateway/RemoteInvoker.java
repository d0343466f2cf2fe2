package dev.klambda.gateway;

import dev.klambda.environments.InvocationRequest;
import dev.klambda.environments.InvocationResult;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.TimeUnit;

/**
 * Forwards an invocation to the gateway replica that routes its function, over that replica's
 * Invoke API with klambda's own headers: the request id, the time left in the queue, and on the
 * way back how the invocation ended. A forwarded request is never forwarded again.
 */
final class RemoteInvoker {
  static final String FORWARDED = "X-Klambda-Forwarded";
  static final String REQUEST_ID = "X-Klambda-Request-Id";
  static final String QUEUE_MILLIS = "X-Klambda-Queue-Millis";
  static final String OUTCOME = "X-Klambda-Outcome";
  static final String ERROR_TYPE = "X-Klambda-Error-Type";

  /** Nothing was sent: the owner is gone or not there yet, so asking again is safe. */
  static final class OwnerUnreachable extends Exception {
    OwnerUnreachable(String message, Throwable cause) {
      super(message, cause, false, false);
    }
  }

  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(1)).build();

  InvocationResult invoke(URI owner, String key, InvocationRequest request, long queueDeadlineNanos)
      throws ServiceException, OwnerUnreachable, InterruptedException {
    long queueMillis = Math.max(0, TimeUnit.NANOSECONDS.toMillis(queueDeadlineNanos - System.nanoTime()));
    HttpResponse<byte[]> response = send(owner, key, request, "RequestResponse", queueMillis);
    String outcome = response.headers().firstValue(OUTCOME).orElse("SUCCESS");
    return new InvocationResult(InvocationResult.Outcome.valueOf(outcome), response.body(),
        response.headers().firstValue(ERROR_TYPE).orElse(null),
        response.headers().firstValue("X-Amz-Log-Result").orElse(null), 0, 0, 0, 0);
  }

  /** Queues an event at another replica, which runs and retries it from then on. */
  void submitEvent(URI gateway, String key, InvocationRequest request)
      throws ServiceException, OwnerUnreachable, InterruptedException {
    send(gateway, key, request, "Event", 0);
  }

  private HttpResponse<byte[]> send(URI owner, String key, InvocationRequest request, String type, long queueMillis)
      throws ServiceException, OwnerUnreachable, InterruptedException {
    HttpRequest.Builder http = HttpRequest.newBuilder(owner.resolve(InvokeApi.PATH_PREFIX
            + URLEncoder.encode(key, StandardCharsets.UTF_8) + "/invocations"))
        .header("X-Amz-Invocation-Type", type)
        .header(FORWARDED, "1")
        .header(REQUEST_ID, request.requestId())
        .header(QUEUE_MILLIS, Long.toString(queueMillis))
        .header("X-Amz-Log-Type", request.logTail() ? "Tail" : "None")
        .POST(HttpRequest.BodyPublishers.ofByteArray(request.payload()));
    if (request.clientContext() != null) {
      http.header("X-Amz-Client-Context",
          Base64.getEncoder().encodeToString(request.clientContext().getBytes(StandardCharsets.UTF_8)));
    }
    HttpResponse<byte[]> response;
    try {
      response = client.send(http.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (ConnectException | HttpConnectTimeoutException e) {
      throw new OwnerUnreachable(owner + ": " + e, e);
    } catch (IOException e) {
      // sent, and the answer is lost: the invocation may have run, so it is not run again here
      throw ServiceException.service("The gateway at " + owner + " that routes " + key
          + " was lost during the invocation: " + e);
    }
    if (response.statusCode() / 100 != 2) {
      ServiceException error = ServiceException.fromResponse(response.statusCode(),
          response.headers().firstValue("x-amzn-ErrorType").orElse(null), response.body());
      if (error.notOwner()) {
        throw new OwnerUnreachable(error.getMessage(), null);
      }
      throw error;
    }
    return response;
  }
}
