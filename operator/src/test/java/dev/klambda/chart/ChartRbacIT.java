package dev.klambda.chart;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.klambda.api.EventSourceMapping;
import dev.klambda.api.Function;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chart's RBAC grants each component what it uses and nothing else. The operator and a gateway,
 * each started with the arguments the chart renders for it and each with its own identity, run
 * through their work against the mock API server ({@link OperatorRun}); every request each made
 * must be allowed by the rendered (Cluster)Roles bound to its own ServiceAccount where it was made,
 * and every permission rendered for that ServiceAccount must have been used by it — or be in {@link
 * #OPERATOR_NOT_EXERCISED} / {@link #GATEWAY_NOT_EXERCISED}, with the reason the mock run cannot
 * show it.
 */
class ChartRbacIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String OPERATOR_SERVICE_ACCOUNT = "klambda";
  private static final String GATEWAY_SERVICE_ACCOUNT = "klambda-gateway";

  /** Granted to the operator though the mock run does not exercise them: rule → why. */
  private static final Map<String, String> OPERATOR_NOT_EXERCISED =
      Map.of(
          "klambda.dev eventsourcemappings get",
          "JOSDK re-reads a primary resource when its finalizer patch meets 409 Conflict"
              + " (ReconciliationDispatcher.conflictRetryingPatch); the mock server never answers 409",
          "core secrets get",
          "the run's mapping is a schedule; credentialsSecretRef and authSecretRef are read with get (ClusterSecrets)",
          "coordination.k8s.io leases update",
          "JOSDK checks for it (SelfSubjectRulesReview) before leader election starts; the LeaseLock patches",
          "klambda.dev functions patch",
          "the finalizer of klambda before 0.2 is removed from a Function that still has it (FunctionReconcilerTest);"
              + " the run's Functions are new",
          "klambda.dev functions invoke",
          "not an API request: the gateway's SubjectAccessReview asks whether the pollers' token may invoke");

  /** Granted to the gateway though the mock run does not exercise them: rule → why. */
  private static final Map<String, String> GATEWAY_NOT_EXERCISED =
      Map.of(
          "core secrets get",
          "the run's Functions name no Event destination; a destination's credentialsSecretRef and authSecretRef are"
              + " read with get (ClusterSecrets via DestinationClients)");

  /** Non-resource GETs every authenticated user may make (the default system:discovery role). */
  private static final Pattern DISCOVERY = Pattern.compile("GET /(version|api|apis|openapi/.*)");

  @TempDir Path dir;

  /** Per test, not per class: each then reports itself skipped, with the reason. */
  @BeforeEach
  void helm() {
    Helm.assumeInstalled();
  }

  @Test
  void clusterWideRbacGrantsExactlyWhatEachComponentUses() throws Exception {
    List<Map<String, Object>> chart = Helm.template("--set", "operator.usageIntervalSeconds=1");
    Usage usage = Usage.of(chart, OperatorRun.record(chart, "default", dir));

    assertThat(usage.operator())
        .as("the operator's informers across all namespaces")
        .anyMatch(a -> a.namespace() == null);
    assertThat(usage.gateway())
        .as("the gateway's informers across all namespaces")
        .anyMatch(a -> a.namespace() == null);
    usage.assertExactlyGranted();
  }

  /**
   * Warm pools and the Init boost add grants (the gateway's) only when they are on: exactly those
   * they use.
   */
  @Test
  void warmPoolAndInitBoostRbacGrantsExactlyWhatTheyUse() throws Exception {
    List<Map<String, Object>> chart =
        Helm.template(
            "--set",
            "operator.usageIntervalSeconds=1",
            "--set",
            "operator.environments.initCpuBoostMillis=1000",
            "--set",
            "operator.environments.warmPool[0].runtime=provided",
            "--set",
            "operator.environments.warmPool[0].memoryMB=128",
            "--set",
            "operator.environments.warmPool[0].size=2");
    Usage usage = Usage.of(chart, OperatorRun.record(chart, "default", dir));

    assertThat(usage.gateway())
        .extracting(ApiAccess::rule)
        .contains("core pods patch", "core configmaps get", "core pods/resize patch");
    usage.assertExactlyGranted();
  }

  @Test
  void namespacedRbacGrantsExactlyWhatEachComponentUsesInItsNamespaces() throws Exception {
    List<Map<String, Object>> chart =
        Helm.template(
            "--set", "operator.usageIntervalSeconds=1", "--set", "namespaces={default,team-b}");
    Usage usage = Usage.of(chart, OperatorRun.record(chart, "default", dir));

    // the one cluster-wide grant: the reviews of callers, which are not namespaced resources
    assertThat(Rendered.ofKind(chart, "ClusterRole"))
        .extracting(r -> (Object) ((Map<?, ?>) r.get("metadata")).get("name"))
        .containsExactly("klambda-gateway-auth");
    assertThat(Rendered.ofKind(chart, "ClusterRoleBinding")).hasSize(1);
    for (Set<ApiAccess> used : List.of(usage.operator(), usage.gateway())) {
      assertThat(used)
          .filteredOn(
              access ->
                  !access.resource().equals("leases") && !access.resource().endsWith("reviews"))
          .extracting(ApiAccess::namespace)
          .as("every request but the Leases' stays in a served namespace")
          .containsOnly("default", "team-b");
      assertThat(used)
          .filteredOn(access -> access.resource().equals("leases"))
          .extracting(ApiAccess::namespace)
          .as("the Leases are in the release namespace")
          .containsOnly(Helm.RELEASE_NAMESPACE);
    }
    for (Grants grants : List.of(usage.operatorGrants(), usage.gatewayGrants())) {
      assertThat(grants.byScope().get("team-b")).isEqualTo(grants.byScope().get("default"));
    }
    usage.assertExactlyGranted();
  }

  /** What each component used, and what the chart grants its ServiceAccount. */
  private record Usage(
      Set<ApiAccess> operator,
      Grants operatorGrants,
      Set<ApiAccess> gateway,
      Grants gatewayGrants) {
    static Usage of(List<Map<String, Object>> chart, OperatorRun.Recording recording)
        throws Exception {
      String operatorAccount = Rendered.serviceAccountName(Rendered.operatorDeployment(chart));
      String gatewayAccount = Rendered.serviceAccountName(Rendered.gatewayDeployment(chart));
      assertThat(operatorAccount).isEqualTo(OPERATOR_SERVICE_ACCOUNT);
      assertThat(gatewayAccount).isEqualTo(GATEWAY_SERVICE_ACCOUNT);
      return new Usage(
          used("operator", recording.operator()),
          Grants.of(chart, operatorAccount, Helm.RELEASE_NAMESPACE),
          used("gateway", recording.gateway()),
          Grants.of(chart, gatewayAccount, Helm.RELEASE_NAMESPACE));
    }

    /**
     * Each component's requests allowed by its own grants, and its grants all used (least
     * privilege).
     */
    void assertExactlyGranted() {
      assertAllowed("operator", operatorGrants, operator);
      assertAllowed("gateway", gatewayGrants, gateway);
      assertLeastPrivilege("operator", operatorGrants, operator, OPERATOR_NOT_EXERCISED);
      assertLeastPrivilege("gateway", gatewayGrants, gateway, GATEWAY_NOT_EXERCISED);
    }
  }

  /**
   * The requests as RBAC sees them, plus what they imply: an object created (or patched) with an
   * owner reference that blocks the owner's deletion needs {@code update} on the owner's {@code
   * finalizers} (OwnerReferencesPermissionEnforcement admission, which the mock server does not
   * run).
   */
  private static Set<ApiAccess> used(String component, List<RecordingCluster.Request> requests)
      throws Exception {
    Set<ApiAccess> used = new LinkedHashSet<>();
    for (RecordingCluster.Request request : requests) {
      ApiAccess access = ApiAccess.of(request.method(), request.path());
      if (access.resource() == null) {
        assertThat(access.verb()).as("a non-resource request").matches(DISCOVERY);
        continue;
      }
      used.add(access);
      if (access.verb().equals("create") || access.verb().equals("patch")) {
        for (JsonNode owner : ownerReferences(JSON.readTree(request.body()))) {
          if (owner.path("blockOwnerDeletion").asBoolean()) {
            String group = owner.path("apiVersion").asText().replaceFirst("/?[^/]*$", "");
            used.add(
                new ApiAccess(
                    group,
                    plural(owner.path("kind").asText()) + "/finalizers",
                    "update",
                    access.namespace()));
          }
        }
      }
    }
    System.out.println(
        "ChartRbacIT: the "
            + component
            + " used "
            + new TreeSet<>(used.stream().map(ApiAccess::rule).toList()));
    return used;
  }

  /**
   * The owner references an object is created with, or a JSON patch adds (a claimed pool member).
   */
  private static List<JsonNode> ownerReferences(JsonNode body) {
    List<JsonNode> owners = new java.util.ArrayList<>();
    if (body.isArray()) {
      for (JsonNode op : body) {
        String path = op.path("path").asText();
        if (path.startsWith("/metadata/ownerReferences")) {
          if (op.path("value").isArray()) {
            op.path("value").forEach(owners::add);
          } else {
            owners.add(op.path("value"));
          }
        }
      }
    } else {
      body.path("metadata").path("ownerReferences").forEach(owners::add);
    }
    return owners;
  }

  private static String plural(String kind) {
    Class<? extends HasMetadata> type =
        switch (kind) {
          case "Function" -> Function.class;
          case "EventSourceMapping" -> EventSourceMapping.class;
          default -> throw new AssertionError("an owner of unexpected kind " + kind);
        };
    return HasMetadata.getPlural(type);
  }

  private static void assertAllowed(String component, Grants grants, Set<ApiAccess> used) {
    assertThat(used)
        .as("requests of the %s that the rendered RBAC of its ServiceAccount denies", component)
        .allSatisfy(
            access ->
                assertThat(grants.allows(access))
                    .as("%s: %s in namespace %s", component, access.rule(), access.namespace())
                    .isTrue());
  }

  private static void assertLeastPrivilege(
      String component, Grants grants, Set<ApiAccess> used, Map<String, String> notExercised) {
    Set<String> unused = new TreeSet<>(grants.all());
    used.forEach(access -> unused.remove(access.rule()));
    unused.removeAll(notExercised.keySet());
    assertThat(unused)
        .as(
            "granted to the %s but never used by it (least privilege): remove them, or list them"
                + " in its NOT_EXERCISED with the reason",
            component)
        .isEmpty();
    grants
        .byScope()
        .forEach(
            (scope, rules) -> {
              if (!scope.equals(Helm.RELEASE_NAMESPACE)) {
                assertThat(rules)
                    .as("the %s's leases only in the release namespace", component)
                    .noneMatch(rule -> rule.startsWith("coordination.k8s.io leases"));
              }
            });
  }
}
