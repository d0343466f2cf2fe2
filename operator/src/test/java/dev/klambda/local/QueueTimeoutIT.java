package dev.klambda.local;

import static dev.klambda.testing.Manifests.bashRuntime;
import static dev.klambda.testing.Manifests.provided;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.klambda.testing.LambdaClients;
import dev.klambda.testing.LocalModes;
import dev.klambda.testing.Manifests;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;
import software.amazon.awssdk.services.lambda.model.TooManyRequestsException;

/**
 * At the reserved limit Lambda throttles a synchronous request at once; a function that queues at
 * its limit lets it wait, and past the queue timeout it gets 429. The busy one completes either
 * way.
 */
class QueueTimeoutIT {
  @TempDir Path dir;

  @Test
  void aRequestQueuedPastTheDeadlineIsThrottled() throws Exception {
    try (LocalMode local = single(2, Map.of("reservedConcurrency", 1, "queueAtLimit", true), 1);
        LambdaClient lambda = LambdaClients.of(local.gateway().baseUrl())) {
      CompletableFuture<InvokeResponse> busy = busy(local, lambda);

      long started = System.nanoTime();
      assertThatThrownBy(
              () ->
                  lambda.invoke(
                      r -> r.functionName("single").payload(SdkBytes.fromUtf8String("{}"))))
          .isInstanceOfSatisfying(
              TooManyRequestsException.class,
              e -> {
                assertThat(e.statusCode()).isEqualTo(429);
                assertThat(e.awsErrorDetails().sdkHttpResponse().firstMatchingHeader("Retry-After"))
                    .contains("1");
              });
      assertThat(Duration.ofNanos(System.nanoTime() - started))
          .as("it waited in the queue first")
          .isGreaterThanOrEqualTo(Duration.ofMillis(900));
      assertThat(busy.get().payload().asUtf8String()).isEqualTo("{\"done\":true}");
    }
  }

  @Test
  void atTheLimitARequestIsThrottledAtOnceAsLambdaDoes() throws Exception {
    try (LocalMode local = single(5, Map.of("reservedConcurrency", 1, "timeoutSeconds", 10), 60);
        LambdaClient lambda = LambdaClients.of(local.gateway().baseUrl())) {
      CompletableFuture<InvokeResponse> busy = busy(local, lambda);

      assertThatThrownBy(
              () ->
                  lambda.invoke(
                      r -> r.functionName("single").payload(SdkBytes.fromUtf8String("{}"))))
          .isInstanceOfSatisfying(
              TooManyRequestsException.class,
              e -> {
                assertThat(e.statusCode()).isEqualTo(429);
                assertThat(e.reasonAsString())
                    .isEqualTo("ReservedFunctionConcurrentInvocationLimitExceeded");
              });
      // answered while the only environment was still busy, a minute of queue time notwithstanding
      assertThat(busy).isNotDone();
      assertThat(busy.get().payload().asUtf8String()).isEqualTo("{\"done\":true}");
    }
  }

  /** Local mode serving "single", which answers after {@code seconds}, with the spec's settings. */
  private LocalMode single(int seconds, Map<String, Object> spec, int queueTimeoutSeconds)
      throws Exception {
    Path manifest =
        Manifests.write(
            dir.resolve("f.yaml"),
            List.of(
                provided(
                    "single",
                    bashRuntime("", "  sleep " + seconds + "\n  respond \"$1\" '{\"done\":true}'"),
                    spec)));
    return LocalModes.start(
        dir,
        LocalModes.discarded(),
        "--queue-timeout-seconds",
        Integer.toString(queueTimeoutSeconds),
        "--async-retry-delay-seconds",
        "0",
        manifest.toString());
  }

  /** An invocation that holds the only environment, once it does. */
  private static CompletableFuture<InvokeResponse> busy(LocalMode local, LambdaClient lambda) {
    CompletableFuture<InvokeResponse> busy =
        CompletableFuture.supplyAsync(
            () ->
                lambda.invoke(r -> r.functionName("single").payload(SdkBytes.fromUtf8String("{}"))),
            // not the common pool: one worker on two cores, which this call would hold
            task -> Thread.ofVirtual().start(task));
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> local.registry().routers().iterator().next().counts().busy() == 1);
    return busy;
  }
}
