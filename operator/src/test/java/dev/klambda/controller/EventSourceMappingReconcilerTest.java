package dev.klambda.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.klambda.api.EventSourceMapping;
import dev.klambda.destinations.SecretSource;
import dev.klambda.eventsources.EventSourceManager;
import dev.klambda.eventsources.GatewayInvoker;
import dev.klambda.eventsources.MappingObserver;
import dev.klambda.testing.MockCluster;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link EventSourceMappingReconciler#reconcile} called directly, against the mock API server in
 * CRUD mode, with a real event source manager running schedule pollers (a day apart: none fires
 * during a test) and the Functions that exist given as a map.
 */
class EventSourceMappingReconcilerTest {
  private final MockCluster cluster = new MockCluster();
  private final KubernetesClient client = cluster.client();
  private final EventSourceManager eventSources =
      EventSourceManager.through(
          new GatewayInvoker(URI.create("http://127.0.0.1:1"), null),
          "us-east-1",
          MappingObserver.NONE,
          SecretSource.NONE);
  private final Map<String, Duration> functions =
      new LinkedHashMap<>(Map.of("default/report", Duration.ofSeconds(3)));
  private final EventSourceMappingReconciler reconciler =
      new EventSourceMappingReconciler(
          eventSources, key -> Optional.ofNullable(functions.get(key)), client, "us-east-1");

  @AfterEach
  void stop() {
    eventSources.close();
    cluster.close();
  }

  private EventSourceMapping created(
      String name, String function, Map<String, Object> source, Map<String, Object> extra) {
    Map<String, Object> spec = new LinkedHashMap<>(extra);
    spec.put("functionName", function);
    spec.put("source", source);
    EventSourceMapping mapping =
        client
            .getKubernetesSerialization()
            .convertValue(
                Map.of(
                    "apiVersion",
                    "klambda.dev/v1alpha1",
                    "kind",
                    "EventSourceMapping",
                    "metadata",
                    Map.of("name", name),
                    "spec",
                    spec),
                EventSourceMapping.class);
    mapping.getMetadata().setNamespace("default");
    return client.resource(mapping).create();
  }

  private EventSourceMapping stored(String name) {
    return client.resources(EventSourceMapping.class).inNamespace("default").withName(name).get();
  }

  private static Condition condition(EventSourceMapping mapping, String type) {
    return mapping.getStatus().getConditions().stream()
        .filter(c -> c.getType().equals(type))
        .findFirst()
        .orElseThrow();
  }

  private static Map<String, Object> daily() {
    return Map.of("schedule", Map.of("expression", "rate(1 day)"));
  }

  @Test
  void aValidMappingPollsAndSaysWhat() {
    EventSourceMapping mapping = created("nightly", "report", daily(), Map.of());

    UpdateControl<EventSourceMapping> control =
        reconciler.reconcile(mapping, TestingContext.unused());

    EventSourceMapping after = stored("nightly");
    assertThat(after.getStatus().getState()).isEqualTo("Enabled");
    assertThat(condition(after, "Ready").getMessage()).isEqualTo("Polling schedule rate(1 day)");
    assertThat(condition(after, "Invalid").getStatus()).isEqualTo("False");
    assertThat(eventSources.isRunning("default/nightly")).isTrue();
    assertThat(control.getScheduleDelay()).as("its counts are reported again").isPresent();
  }

  @Test
  void aMappingOfAMissingFunctionWaitsForIt() {
    EventSourceMapping mapping = created("orphan", "nobody", daily(), Map.of());

    UpdateControl<EventSourceMapping> control =
        reconciler.reconcile(mapping, TestingContext.unused());

    EventSourceMapping after = stored("orphan");
    assertThat(after.getStatus().getState()).isEqualTo("Failed");
    assertThat(condition(after, "Ready").getReason()).isEqualTo("FunctionMissing");
    assertThat(condition(after, "Ready").getMessage())
        .isEqualTo(
            "spec.functionName: Function not found: arn:aws:lambda:us-east-1:default:function:nobody");
    assertThat(condition(after, "Invalid").getStatus())
        .as("not the mapping's fault")
        .isEqualTo("False");
    assertThat(eventSources.isRunning("default/orphan")).isFalse();
    assertThat(control.getScheduleDelay()).as("tried again until the function appears").isPresent();

    functions.put("default/nobody", Duration.ofSeconds(3));
    reconciler.reconcile(stored("orphan"), TestingContext.unused());
    assertThat(stored("orphan").getStatus().getState()).isEqualTo("Enabled");
  }

  @Test
  void anInvalidMappingNamesTheFieldAndRunsNothing() {
    EventSourceMapping mapping =
        created(
            "bad", "report", Map.of("schedule", Map.of("expression", "rate(0 days)")), Map.of());

    reconciler.reconcile(mapping, TestingContext.unused());

    EventSourceMapping after = stored("bad");
    assertThat(condition(after, "Invalid").getStatus()).isEqualTo("True");
    assertThat(condition(after, "Invalid").getMessage())
        .startsWith("spec.source.schedule.expression: ");
    assertThat(eventSources.isRunning("default/bad")).isFalse();
  }

  @Test
  void cleanupStopsThePoller() {
    EventSourceMapping mapping = created("going", "report", daily(), Map.of());
    reconciler.reconcile(mapping, TestingContext.unused());

    reconciler.cleanup(stored("going"), TestingContext.unused());

    assertThat(eventSources.isRunning("default/going")).isFalse();
  }
}
