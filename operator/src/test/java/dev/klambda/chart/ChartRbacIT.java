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
 * The chart's RBAC grants what the operator uses and nothing else. The operator, started with the
 * arguments the chart renders, runs through its work against the mock API server ({@link
 * OperatorRun}); every request it made must be allowed by the rendered (Cluster)Roles where it was
 * made, and every rendered permission must have been used — or be in {@link #NOT_EXERCISED}, with
 * the reason the mock run cannot show it.
 */
class ChartRbacIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SERVICE_ACCOUNT = "klambda";

  /** Granted though the mock run does not exercise them: rule → why. */
  private static final Map<String, String> NOT_EXERCISED = Map.of(
      "klambda.dev eventsourcemappings get",
      "JOSDK re-reads a primary resource when its finalizer patch meets 409 Conflict"
          + " (ReconciliationDispatcher.conflictRetryingPatch); the mock server never answers 409",
      "core secrets get",
      "the run's mapping is a schedule; credentialsSecretRef and authSecretRef are read with get (ClusterSecrets)",
      "coordination.k8s.io leases update",
      "JOSDK checks for it (SelfSubjectRulesReview) before leader election starts; the LeaseLock patches");

  /** Non-resource GETs every authenticated user may make (the default system:discovery role). */
  private static final Pattern DISCOVERY = Pattern.compile("GET /(version|api|apis|openapi/.*)");

  @TempDir Path dir;

  /** Per test, not per class: each then reports itself skipped, with the reason. */
  @BeforeEach
  void helm() {
    Helm.assumeInstalled();
  }

  @Test
  void clusterWideRbacGrantsExactlyWhatTheOperatorUses() throws Exception {
    List<Map<String, Object>> chart = Helm.template("--set", "operator.usageIntervalSeconds=1");
    Set<ApiAccess> used = used(OperatorRun.record(Rendered.operatorArgs(chart), "default", dir));
    Grants grants = Grants.of(chart, SERVICE_ACCOUNT, Helm.RELEASE_NAMESPACE);

    assertThat(used).as("informers across all namespaces").anyMatch(a -> a.namespace() == null);
    assertAllowed(grants, used);
    assertLeastPrivilege(grants, used);
  }

  /** Warm pools and the Init boost add grants only when they are on: exactly those they use. */
  @Test
  void warmPoolAndInitBoostRbacGrantsExactlyWhatTheyUse() throws Exception {
    List<Map<String, Object>> chart = Helm.template("--set", "operator.usageIntervalSeconds=1",
        "--set", "operator.environments.initCpuBoostMillis=1000",
        "--set", "operator.environments.warmPool[0].runtime=provided",
        "--set", "operator.environments.warmPool[0].memoryMB=128",
        "--set", "operator.environments.warmPool[0].size=2");
    Set<ApiAccess> used = used(OperatorRun.record(Rendered.operatorArgs(chart), "default", dir));
    Grants grants = Grants.of(chart, SERVICE_ACCOUNT, Helm.RELEASE_NAMESPACE);

    assertThat(used).extracting(ApiAccess::rule)
        .contains("core pods patch", "core configmaps get", "core pods/resize patch");
    assertAllowed(grants, used);
    assertLeastPrivilege(grants, used);
  }

  @Test
  void namespacedRbacGrantsExactlyWhatTheOperatorUsesInItsNamespaces() throws Exception {
    List<Map<String, Object>> chart = Helm.template("--set", "operator.usageIntervalSeconds=1",
        "--set", "namespaces={default,team-b}");
    Set<ApiAccess> used = used(OperatorRun.record(Rendered.operatorArgs(chart), "default", dir));
    Grants grants = Grants.of(chart, SERVICE_ACCOUNT, Helm.RELEASE_NAMESPACE);

    assertThat(Rendered.ofKind(chart, "ClusterRole")).isEmpty();
    assertThat(Rendered.ofKind(chart, "ClusterRoleBinding")).isEmpty();
    assertThat(used).filteredOn(access -> !access.resource().equals("leases"))
        .extracting(ApiAccess::namespace).as("every request but the Lease's stays in a served namespace")
        .containsOnly("default", "team-b");
    assertThat(used).filteredOn(access -> access.resource().equals("leases"))
        .extracting(ApiAccess::namespace).as("the Lease is in the release namespace").containsOnly(Helm.RELEASE_NAMESPACE);
    assertThat(grants.byScope().get("team-b")).isEqualTo(grants.byScope().get("default"));
    assertAllowed(grants, used);
    assertLeastPrivilege(grants, used);
  }

  /**
   * The requests as RBAC sees them, plus what they imply: an object created (or patched) with an owner reference
   * that blocks the owner's deletion needs {@code update} on the owner's {@code finalizers}
   * (OwnerReferencesPermissionEnforcement admission, which the mock server does not run).
   */
  private static Set<ApiAccess> used(List<RecordingCluster.Request> requests) throws Exception {
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
            used.add(new ApiAccess(group, plural(owner.path("kind").asText()) + "/finalizers", "update",
                access.namespace()));
          }
        }
      }
    }
    System.out.println("ChartRbacIT: the operator used " + new TreeSet<>(used.stream().map(ApiAccess::rule).toList()));
    return used;
  }

  /** The owner references an object is created with, or a JSON patch adds (a claimed pool member). */
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
    Class<? extends HasMetadata> type = switch (kind) {
      case "Function" -> Function.class;
      case "EventSourceMapping" -> EventSourceMapping.class;
      default -> throw new AssertionError("an owner of unexpected kind " + kind);
    };
    return HasMetadata.getPlural(type);
  }

  private static void assertAllowed(Grants grants, Set<ApiAccess> used) {
    assertThat(used).as("requests the rendered RBAC denies").allSatisfy(access ->
        assertThat(grants.allows(access)).as("%s in namespace %s", access.rule(), access.namespace()).isTrue());
  }

  private static void assertLeastPrivilege(Grants grants, Set<ApiAccess> used) {
    Set<String> unused = new TreeSet<>(grants.all());
    used.forEach(access -> unused.remove(access.rule()));
    unused.removeAll(NOT_EXERCISED.keySet());
    assertThat(unused).as("granted but never used (least privilege): remove them, or list them in NOT_EXERCISED"
        + " with the reason").isEmpty();
    grants.byScope().forEach((scope, rules) -> {
      if (!scope.equals(Helm.RELEASE_NAMESPACE)) {
        assertThat(rules).as("leases only in the operator's own namespace")
            .noneMatch(rule -> rule.startsWith("coordination.k8s.io leases"));
      }
    });
  }
}
