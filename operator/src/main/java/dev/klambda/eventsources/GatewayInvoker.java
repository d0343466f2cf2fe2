package dev.klambda.eventsources;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.klambda.environments.InvocationResult;
import dev.klambda.function.InvokePath;
import dev.klambda.routing.ServiceException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How the operator's pollers invoke: through the gateway tier's Invoke API (its Service), like any
 * client, so the limits, queueing and metering of the gateway apply to them too. Batches are
 * synchronous invocations; schedules and destinations are Events. Where the gateway authenticates
 * callers, the operator shows its ServiceAccount's token (projected for the gateway's audience,
 * re-read as the kubelet rotates it), and RBAC must let it invoke.
 */
public final class GatewayInvoker implements BatchInvoker, EventSink {
  private static final Logger LOG = LoggerFactory.getLogger(GatewayInvoker.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int EVENT_ATTEMPTS = 5;

  private static final Duration TOKEN_REREAD = Duration.ofMinutes(1);

  private final URI gateway;
  private final Path tokenFile;
  private String token;
  private long tokenReadNanos;
  private final HttpClient client =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  /**
   * @param gateway the gateway's base URL, e.g. {@code http://klambda-gateway.klambda.svc:8080}
   * @param tokenFile the bearer token to show the gateway; null for none (a gateway with --auth
   *     none)
   */
  public GatewayInvoker(URI gateway, Path tokenFile) {
    this.gateway = gateway;
    this.tokenFile = tokenFile;
  }

  @Override
  public InvocationResult invoke(String functionKey, byte[] payload)
      throws ServiceException, InterruptedException {
    HttpResponse<byte[]> response;
    try {
      response =
          client.send(
              request(functionKey, payload, "RequestResponse"),
              HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw ServiceException.service("The gateway at " + gateway + " cannot be reached: " + e);
    }
    if (response.statusCode() != 200) {
      throw ServiceException.fromResponse(
          response.statusCode(),
          response.headers().firstValue("x-amzn-ErrorType").orElse(null),
          response.body());
    }
    boolean failed = response.headers().firstValue("X-Amz-Function-Error").isPresent();
    return new InvocationResult(
        failed ? InvocationResult.Outcome.ERROR : InvocationResult.Outcome.SUCCESS,
        response.body(),
        failed ? errorType(response.body()) : null,
        null,
        0,
        0);
  }

  /** Queues an Event; retried with a growing pause while the gateway cannot take it. */
  @Override
  public void submitEvent(String functionKey, byte[] payload) {
    for (int attempt = 1; ; attempt++) {
      try {
        HttpResponse<byte[]> response =
            client.send(
                request(functionKey, payload, "Event"), HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() == 202) {
          return;
        }
        if (response.statusCode() < 500 && response.statusCode() != 429
            || attempt == EVENT_ATTEMPTS) {
          LOG.error(
              "function {}: an event was not accepted by the gateway ({}): {}",
              functionKey,
              response.statusCode(),
              new String(response.body(), StandardCharsets.UTF_8));
          return;
        }
      } catch (IOException e) {
        if (attempt == EVENT_ATTEMPTS) {
          LOG.error(
              "function {}: an event could not be handed to the gateway at {}: {}",
              functionKey,
              gateway,
              e.toString());
          return;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        LOG.error(
            "function {}: an event was dropped, the poller stopped before the gateway took it",
            functionKey);
        return;
      }
      try {
        Thread.sleep(200L << attempt);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private HttpRequest request(String functionKey, byte[] payload, String type) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(gateway.resolve(InvokePath.of(functionKey)))
            .header("X-Amz-Invocation-Type", type)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(payload));
    String bearer = token();
    if (bearer != null) {
      request.header("Authorization", "Bearer " + bearer);
    }
    return request.build();
  }

  /** The token, read again a minute after the last read (the kubelet rotates projected tokens). */
  private synchronized String token() {
    if (tokenFile == null) {
      return null;
    }
    if (token == null || System.nanoTime() - tokenReadNanos > TOKEN_REREAD.toNanos()) {
      try {
        token = Files.readString(tokenFile).strip();
        tokenReadNanos = System.nanoTime();
      } catch (IOException e) {
        LOG.warn("the token for the gateway cannot be read from {}: {}", tokenFile, e.toString());
      }
    }
    return token;
  }

  /** The {@code errorType} of a function error's payload, as pollers report it. */
  private static String errorType(byte[] payload) {
    try {
      return JSON.readTree(payload).path("errorType").asText("Unhandled");
    } catch (IOException e) {
      return "Unhandled";
    }
  }
}
