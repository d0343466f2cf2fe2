package dev.klambda.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.klambda.api.Function;
import dev.klambda.api.FunctionStatus;
import dev.klambda.api.FunctionUsage;
import dev.klambda.function.FunctionValidator;
import dev.klambda.function.SizingPolicy;
import dev.klambda.testing.Manifests;
import dev.klambda.testing.MockCluster;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link FunctionReconciler#reconcile} called directly, against the mock API server in CRUD mode:
 * what it writes to a Function's status, and what it leaves to the gateways (their Pods included: a
 * deleted Function's are stopped by the gateway, FunctionDeletionIT).
 */
class FunctionReconcilerTest {
  private static final String BOOTSTRAP = "#!/bin/sh\n";
  private final MockCluster cluster = new MockCluster();
  private final KubernetesClient client = cluster.client();
  private final FunctionReconciler reconciler =
      new FunctionReconciler(
          FunctionValidator.forCluster(SizingPolicy.DEFAULT),
          client,
          "http://gateway:8080",
          Duration.ofSeconds(30));

  @AfterEach
  void stop() {
    cluster.close();
  }

  private Function created(Map<String, Object> manifest) {
    Function function = client.getKubernetesSerialization().convertValue(manifest, Function.class);
    function.getMetadata().setNamespace("default");
    return client.resource(function).create();
  }

  private Function stored(String name) {
    return client.resources(Function.class).inNamespace("default").withName(name).get();
  }

  private static Optional<Condition> condition(Function function, String type) {
    return function.getStatus().getConditions().stream()
        .filter(c -> c.getType().equals(type))
        .findFirst();
  }

  @Test
  void aValidFunctionIsReadyWithWhereItIsInvoked() {
    Function function = created(Manifests.provided("hello", BOOTSTRAP, Map.of()));

    UpdateControl<Function> control = reconciler.reconcile(function, TestingContext.unused());

    Function after = stored("hello");
    assertThat(after.getStatus().getInvokeUrl())
        .isEqualTo("http://gateway:8080/2015-03-31/functions/default%2Fhello/invocations");
    assertThat(after.getStatus().getObservedGeneration())
        .isEqualTo(function.getMetadata().getGeneration());
    assertThat(condition(after, "Ready"))
        .hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("True"));
    assertThat(condition(after, "Invalid"))
        .hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("False"));
    assertThat(control.isNoUpdate())
        .as("the status is patched, not updated through JOSDK")
        .isTrue();
    assertThat(control.getScheduleDelay())
        .as("judged again")
        .hasValue(Duration.ofSeconds(30).toMillis());
  }

  @Test
  void anInvalidFunctionSaysWhichFieldBreaksWhichRule() {
    Function function = created(Manifests.provided("odd", BOOTSTRAP, Map.of("memoryMB", 200)));

    reconciler.reconcile(function, TestingContext.unused());

    Function after = stored("odd");
    assertThat(after.getStatus().getInvokeUrl()).isNull();
    assertThat(condition(after, "Ready"))
        .hasValueSatisfying(
            c -> {
              assertThat(c.getStatus()).isEqualTo("False");
              assertThat(c.getMessage()).startsWith("spec.memoryMB: ");
            });
    assertThat(condition(after, "Invalid"))
        .hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("True"));
  }

  /** The cluster's own rule: inline code travels in a ConfigMap. */
  @Test
  void inlineCodeLargerThanAConfigMapIsInvalid() {
    String large = "x".repeat(FunctionValidator.MAX_CLUSTER_INLINE_BYTES);
    Function function =
        created(
            Manifests.function(
                "large",
                Map.of(
                    "runtime",
                    "provided",
                    "code",
                    Map.of(
                        "inline",
                        Map.of("files", Map.of("bootstrap", BOOTSTRAP, "data.txt", large))))));

    reconciler.reconcile(function, TestingContext.unused());

    assertThat(condition(stored("large"), "Invalid"))
        .hasValueSatisfying(
            c ->
                assertThat(c.getMessage())
                    .contains("spec.code.inline: holds ")
                    .contains("put larger code in spec.code.image"));
  }

  /** status.usage and status.environments are the gateways' to write: a reconcile keeps them. */
  @Test
  void whatTheGatewaysWroteStays() {
    Function function = created(Manifests.provided("metered", BOOTSTRAP, Map.of()));
    FunctionStatus written = new FunctionStatus();
    FunctionUsage usage = new FunctionUsage();
    usage.setInvocations(7);
    written.setUsage(usage);
    function.setStatus(written);
    function = client.resource(function).updateStatus();

    reconciler.reconcile(function, TestingContext.unused());

    assertThat(stored("metered").getStatus().getUsage().getInvocations()).isEqualTo(7L);
  }

  @Test
  void aStatusThatHasNotChangedIsNotWrittenAgain() {
    reconciler.reconcile(
        created(Manifests.provided("steady", BOOTSTRAP, Map.of())), TestingContext.unused());
    Function once = stored("steady");

    reconciler.reconcile(once, TestingContext.unused());

    assertThat(stored("steady").getMetadata().getResourceVersion())
        .isEqualTo(once.getMetadata().getResourceVersion());
  }

  /** Functions of klambda before 0.2 carry its finalizer, which nothing else would ever remove. */
  @Test
  void theFinalizerOfAnEarlierKlambdaIsRemovedSoADeletionEnds() {
    Map<String, Object> manifest =
        new java.util.HashMap<>(Manifests.provided("upgraded", BOOTSTRAP, Map.of()));
    manifest.put(
        "metadata",
        Map.of(
            "name",
            "upgraded",
            "finalizers",
            List.of(FunctionReconciler.LEGACY_FINALIZER, "other/keep")));
    Function function = created(manifest);

    reconciler.reconcile(function, TestingContext.unused());

    assertThat(stored("upgraded").getMetadata().getFinalizers()).containsExactly("other/keep");
    assertThat(stored("upgraded").getStatus().getInvokeUrl())
        .endsWith("/functions/default%2Fupgraded/invocations");
  }
}
