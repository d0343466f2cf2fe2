package dev.klambda.chart;

import java.net.URI;
import java.util.Arrays;
import java.util.List;

/**
 * What one API request needs from RBAC, worked out the way the API server's request-info resolver
 * does: {@code /api/v1/...} is the core group "", {@code /apis/GROUP/VERSION/...} a named group;
 * {@code namespaces/NS/} scopes it; GET is get on a name, list on a collection, watch with {@code
 * ?watch=}; DELETE on a collection is deletecollection. A subresource becomes {@code
 * resource/subresource}, as RBAC writes it. Other paths ({@code /version}, discovery) are
 * non-resource requests: {@code resource} is null and {@code verb} the path.
 *
 * @param namespace null for a request across all namespaces (or a cluster-scoped resource)
 */
record ApiAccess(String group, String resource, String verb, String namespace) {

  /** The (group, resource, verb) an RBAC rule must grant, without the namespace. */
  String rule() {
    return (group.isEmpty() ? "core" : group) + " " + resource + " " + verb;
  }

  static ApiAccess of(String method, String pathAndQuery) {
    URI uri = URI.create(pathAndQuery);
    List<String> parts = Arrays.stream(uri.getPath().split("/")).filter(s -> !s.isEmpty()).toList();
    String group;
    List<String> rest;
    if (parts.size() >= 3 && parts.getFirst().equals("api")) {
      group = "";
      rest = parts.subList(2, parts.size());
    } else if (parts.size() >= 4 && parts.getFirst().equals("apis")) {
      group = parts.get(1);
      rest = parts.subList(3, parts.size());
    } else {
      return new ApiAccess("", null, method + " " + uri.getPath(), null);
    }
    String namespace = null;
    if (rest.size() >= 3 && rest.getFirst().equals("namespaces")) {
      namespace = rest.get(1);
      rest = rest.subList(2, rest.size());
    }
    String resource = rest.getFirst();
    boolean named = rest.size() >= 2;
    if (rest.size() >= 3) {
      resource += "/" + rest.get(2);
    }
    String query = uri.getQuery() == null ? "" : "&" + uri.getQuery();
    String verb =
        switch (method) {
          case "GET" ->
              query.contains("&watch=true") || query.contains("&watch=1")
                  ? "watch"
                  : named ? "get" : "list";
          case "POST" -> "create";
          case "PUT" -> "update";
          case "PATCH" -> "patch";
          case "DELETE" -> named ? "delete" : "deletecollection";
          default -> method.toLowerCase(java.util.Locale.ROOT);
        };
    return new ApiAccess(group, resource, verb, namespace);
  }
}
