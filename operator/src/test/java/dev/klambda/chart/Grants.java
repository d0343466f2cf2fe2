package dev.klambda.chart;

import static dev.klambda.chart.Rendered.at;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the rendered RBAC lets one ServiceAccount do: the rules of every (Cluster)Role bound to it,
 * expanded to "group resource verb" strings ({@link ApiAccess#rule()}), by where they apply —
 * {@link #CLUSTER} for a ClusterRoleBinding, else the RoleBinding's namespace.
 */
record Grants(Map<String, Set<String>> byScope) {
  static final String CLUSTER = "*";

  static Grants of(List<Map<String, Object>> documents, String serviceAccount, String namespace) {
    Map<String, List<Map<String, Object>>> roles = new HashMap<>();
    for (Map<String, Object> role : documents) {
      if (role.get("kind").equals("ClusterRole") || role.get("kind").equals("Role")) {
        roles.put(
            role.get("kind") + "/" + Rendered.namespace(role) + "/" + at(role, "metadata", "name"),
            at(role, "rules"));
      }
    }
    Map<String, Set<String>> byScope = new HashMap<>();
    for (Map<String, Object> binding : documents) {
      boolean cluster = binding.get("kind").equals("ClusterRoleBinding");
      if (!cluster && !binding.get("kind").equals("RoleBinding")
          || !binds(binding, serviceAccount, namespace)) {
        continue;
      }
      String roleKind = at(binding, "roleRef", "kind");
      String roleNamespace = roleKind.equals("Role") ? Rendered.namespace(binding) : null;
      List<Map<String, Object>> rules =
          roles.get(roleKind + "/" + roleNamespace + "/" + at(binding, "roleRef", "name"));
      if (rules == null) {
        throw new AssertionError(
            "binding "
                + at(binding, "metadata", "name")
                + " refers to a role that is not rendered");
      }
      Set<String> scope =
          byScope.computeIfAbsent(
              cluster ? CLUSTER : Rendered.namespace(binding), k -> new TreeSet<>());
      rules.forEach(rule -> scope.addAll(expand(rule)));
    }
    return new Grants(byScope);
  }

  private static boolean binds(
      Map<String, Object> binding, String serviceAccount, String namespace) {
    List<Map<String, Object>> subjects = at(binding, "subjects");
    return subjects.stream()
        .anyMatch(
            s ->
                "ServiceAccount".equals(s.get("kind"))
                    && serviceAccount.equals(s.get("name"))
                    && namespace.equals(s.get("namespace")));
  }

  /**
   * Every (group, resource, verb) a rule grants; wildcards and resourceNames are not expected here.
   */
  private static Set<String> expand(Map<String, Object> rule) {
    if (rule.containsKey("nonResourceURLs") || rule.containsKey("resourceNames")) {
      throw new AssertionError("unexpected rule form: " + rule);
    }
    Set<String> granted = new TreeSet<>();
    for (String group : Rendered.<List<String>>at(rule, "apiGroups")) {
      for (String resource : Rendered.<List<String>>at(rule, "resources")) {
        for (String verb : Rendered.<List<String>>at(rule, "verbs")) {
          if (group.equals("*") || resource.equals("*") || verb.equals("*")) {
            throw new AssertionError("a wildcard is not least privilege: " + rule);
          }
          granted.add(new ApiAccess(group, resource, verb, null).rule());
        }
      }
    }
    return granted;
  }

  /** Whether a request of this kind is allowed where it was made. */
  boolean allows(ApiAccess access) {
    return byScope.getOrDefault(CLUSTER, Set.of()).contains(access.rule())
        || access.namespace() != null
            && byScope.getOrDefault(access.namespace(), Set.of()).contains(access.rule());
  }

  /** Everything granted, wherever. */
  Set<String> all() {
    Set<String> all = new TreeSet<>();
    byScope.values().forEach(all::addAll);
    return all;
  }
}
