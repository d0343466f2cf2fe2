package dev.klambda.bench;

import static dev.klambda.testing.Manifests.bashRuntime;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.klambda.api.Function;
import dev.klambda.kubelet.KubeletFixture;
import dev.klambda.routing.FunctionRouter;
import dev.klambda.testing.LambdaClients;
import dev.klambda.testing.Manifests;
import dev.klambda.testing.MockCluster;
import dev.klambda.testing.RunningKlambda;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.lambda.LambdaClient;

/**
 * One function from 0 to 50 environments (Pods played by the kubelet fixture, each a real agent)
 * under the load of 50 concurrent clients: time to 50 environments and requests lost. Run with
 * {@code mvn -pl operator verify -Dit.test=NoSuchIT -Dfailsafe.failIfNoSpecifiedTests=false
 * -Dtest=ScaleOutBenchmark -Dsurefire.failIfNoSpecifiedTests=false} (after an install, so the agent
 * is in target/agent).
 */
class ScaleOutBenchmark {
  private static final int ENVIRONMENTS = 50;
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void scaleFromZeroToFifty() throws Exception {
    Path work = Files.createTempDirectory("scale-benchmark");
    try (MockCluster cluster = new MockCluster();
        KubeletFixture kubelet = new KubeletFixture(cluster.client(), work)) {
      RunningKlambda operator = cluster.startOperator();
      cluster
          .client()
          .resource(
              JSON.convertValue(
                  Manifests.provided(
                      "wide",
                      bashRuntime("", "  sleep 1\n  respond \"$1\" '{}'"),
                      Map.of("timeoutSeconds", 60)),
                  Function.class))
          .inNamespace("default")
          .create();
      while (operator.registry().routers().isEmpty()) {
        Thread.sleep(50);
      }
      FunctionRouter router = operator.registry().routers().iterator().next();
      AtomicBoolean running = new AtomicBoolean(true);
      AtomicInteger ok = new AtomicInteger();
      AtomicInteger lost = new AtomicInteger();
      List<Thread> clients = new ArrayList<>();
      long started = System.nanoTime();
      try (LambdaClient lambda = LambdaClients.of(operator.gateway().baseUrl())) {
        for (int i = 0; i < ENVIRONMENTS; i++) {
          clients.add(
              Thread.ofVirtual()
                  .start(
                      () -> {
                        while (running.get()) {
                          try {
                            boolean failed =
                                lambda
                                        .invoke(
                                            r ->
                                                r.functionName("wide")
                                                    .payload(SdkBytes.fromUtf8String("{}")))
                                        .functionError()
                                    != null;
                            (failed ? lost : ok).incrementAndGet();
                          } catch (RuntimeException e) {
                            lost.incrementAndGet();
                          }
                        }
                      }));
        }
        long reached = 0;
        while (System.nanoTime() - started < Duration.ofMinutes(3).toNanos()) {
          FunctionRouter.Counts counts = router.counts();
          if (counts.idle() + counts.busy() >= ENVIRONMENTS) {
            reached = System.nanoTime();
            break;
          }
          Thread.sleep(20);
        }
        Thread.sleep(5000); // steady state at 50
        running.set(false);
        for (Thread client : clients) {
          client.join();
        }
        System.out.printf(
            "%nScaleOutBenchmark: 0 -> %d environments in %.1f s under %d concurrent clients; "
                + "%d requests answered, %d lost%n",
            ENVIRONMENTS, (reached - started) / 1e9, ENVIRONMENTS, ok.get(), lost.get());
        assertThat(reached).as("reached %d environments", ENVIRONMENTS).isPositive();
        assertThat(lost).hasValue(0);
      } finally {
        operator.close();
      }
    }
  }
}
