package dev.klambda.observer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.klambda.api.Function;
import dev.klambda.api.FunctionStatus;
import dev.klambda.routing.FunctionRegistry;
import dev.klambda.routing.FunctionRouter;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes {@code status.environments} of the functions this gateway replica routes (only the router
 * knows which environments are idle and which busy), with a JSON merge patch of that field alone,
 * and only when the counts changed.
 */
public final class EnvironmentCountsWriter implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EnvironmentCountsWriter.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final KubernetesClient client;
  private final FunctionRegistry registry;
  private final Map<String, FunctionRouter.Counts> written = new ConcurrentHashMap<>();
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          Thread.ofPlatform().daemon().name("environment-counts").factory());

  public EnvironmentCountsWriter(
      KubernetesClient client, FunctionRegistry registry, Duration every) {
    this.client = client;
    this.registry = registry;
    timer.scheduleWithFixedDelay(this::write, 0, every.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void write() {
    for (FunctionRouter router : registry.routers()) {
      String key = router.function().key();
      FunctionRouter.Counts counts = router.counts();
      if (counts.equals(written.get(key))) {
        continue;
      }
      try {
        String patch =
            JSON.writeValueAsString(
                Map.of(
                    "status",
                    Map.of(
                        "environments",
                        new FunctionStatus.EnvironmentCounts(
                            // lent to another replica: in use as far as this one knows
                            counts.starting(), counts.idle(), counts.busy() + counts.lent()))));
        client
            .resources(Function.class)
            .inNamespace(router.function().namespace())
            .withName(router.function().name())
            .subresource("status")
            .patch(PatchContext.of(PatchType.JSON_MERGE), patch);
        written.put(key, counts);
      } catch (KubernetesClientException e) {
        LOG.warn("function {}: cannot write its environment counts: {}", key, e.getMessage());
      } catch (JsonProcessingException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
