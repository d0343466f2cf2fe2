package dev.klambda.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;
import software.amazon.awssdk.services.lambda.model.LambdaException;

/**
 * Callers that invoke an echo function in a loop until stopped, each request numbered ({@code
 * {"n":N}}) and its answer checked, every request counted. A 5xx is what a client retries (the AWS
 * SDKs do by default): it is counted apart, and the same request sent again.
 */
public final class InvocationLoad {
  /** Answered with the request's own payload. */
  public final AtomicInteger answered = new AtomicInteger();

  /** Wrong answers, 4xx, and requests that failed three times. */
  public final List<Throwable> failures = new CopyOnWriteArrayList<>();

  /** 5xx answers, each followed by the same request again. */
  public final List<LambdaException> retried = new CopyOnWriteArrayList<>();

  private final AtomicBoolean loading = new AtomicBoolean(true);
  private final List<Thread> callers = new ArrayList<>();

  /**
   * @param lambdas the client of each request: where a Service would send it
   */
  public InvocationLoad(Supplier<LambdaClient> lambdas, String function, int callerCount) {
    for (int c = 0; c < callerCount; c++) {
      int caller = c;
      callers.add(
          Thread.ofVirtual()
              .start(
                  () -> {
                    for (int i = 0; loading.get(); i++) {
                      call(lambdas, function, caller * 100_000 + i);
                    }
                  }));
    }
  }

  private void call(Supplier<LambdaClient> lambdas, String function, int n) {
    String payload = "{\"n\":" + n + "}";
    for (int attempt = 1; attempt <= 3; attempt++) {
      try {
        InvokeResponse response =
            lambdas
                .get()
                .invoke(r -> r.functionName(function).payload(SdkBytes.fromUtf8String(payload)));
        if (!response.payload().asUtf8String().equals(payload)
            || response.functionError() != null) {
          failures.add(
              new AssertionError(
                  "request " + n + " answered " + response.payload().asUtf8String()));
        }
        answered.incrementAndGet();
        return;
      } catch (LambdaException e) {
        if (e.statusCode() < 500) {
          failures.add(e);
          return;
        }
        retried.add(e);
      } catch (RuntimeException e) {
        failures.add(e);
        return;
      }
    }
    failures.add(new AssertionError("request " + n + " failed three times with a 5xx"));
  }

  /** Lets every caller finish its request in progress. */
  public void stop() throws InterruptedException {
    loading.set(false);
    for (Thread caller : callers) {
      caller.join();
    }
  }
}
