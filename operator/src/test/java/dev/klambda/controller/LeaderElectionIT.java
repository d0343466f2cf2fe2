package dev.klambda.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.klambda.GatewayMode;
import dev.klambda.OperatorMode;
import dev.klambda.api.EventSourceMapping;
import dev.klambda.api.Function;
import dev.klambda.testing.Manifests;
import dev.klambda.testing.MockCluster;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two operator replicas against one API server: one holds the Lease, owns every mapping's poller
 * and reports ready; the other waits, not ready, until the leader goes, then takes over.
 */
class LeaderElectionIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private MockCluster cluster;
  private OperatorMode first;
  private OperatorMode second;
  private GatewayMode gateway;

  @BeforeEach
  void start() throws Exception {
    cluster = new MockCluster();
    cluster
        .client()
        .namespaces()
        .resource(
            new io.fabric8.kubernetes.api.model.NamespaceBuilder()
                .withNewMetadata()
                .withName("klambda")
                .endMetadata()
                .build())
        .create();
    cluster
        .client()
        .resource(
            JSON.convertValue(
                Manifests.provided("report", "#!/bin/sh\nexec sleep 1000\n", Map.of()),
                Function.class))
        .inNamespace("default")
        .create();
    cluster
        .client()
        .resource(
            JSON.convertValue(
                Map.of(
                    "apiVersion",
                    "klambda.dev/v1alpha1",
                    "kind",
                    "EventSourceMapping",
                    "metadata",
                    Map.of("name", "nightly"),
                    "spec",
                    Map.of(
                        "functionName",
                        "report",
                        "source",
                        Map.of("schedule", Map.of("expression", "rate(1 day)")))),
                EventSourceMapping.class))
        .inNamespace("default")
        .create();
    gateway = cluster.startGateway("gateway-0");
    first = cluster.startReplica("replica-a", gateway);
    second = cluster.startReplica("replica-b", gateway);
  }

  @AfterEach
  void stop() {
    if (first != null) {
      first.close();
    }
    second.close();
    gateway.close();
    cluster.close();
  }

  private static int readiness(OperatorMode replica) throws Exception {
    return HTTP.send(
            HttpRequest.newBuilder(URI.create(replica.readinessUrl())).build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  private String holder() {
    Lease lease =
        cluster.client().leases().inNamespace("klambda").withName("klambda-operator").get();
    return lease == null ? null : lease.getSpec().getHolderIdentity();
  }

  @Test
  void oneReplicaLeadsAndOwnsTheMappingsAndTheOtherTakesOverWhenItGoes() throws Exception {
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> first.polls("default/nightly") || second.polls("default/nightly"));
    OperatorMode leader = first.polls("default/nightly") ? first : second;
    OperatorMode standby = leader == first ? second : first;
    String leaderName = leader == first ? "replica-a" : "replica-b";

    assertThat(holder()).isEqualTo(leaderName);
    assertThat(readiness(leader)).isEqualTo(200);
    assertThat(readiness(standby)).isEqualTo(503);
    // the standby keeps out for longer than a few renewals
    Thread.sleep(2000);
    assertThat(standby.polls("default/nightly")).isFalse();
    assertThat(List.of(first.polls("default/nightly"), second.polls("default/nightly")))
        .containsOnlyOnce(true);

    leader.close();
    if (leader == first) {
      first = null;
    } else {
      second = first;
      first = null;
    }

    await().atMost(Duration.ofSeconds(30)).until(() -> readiness(standby) == 200);
    await().atMost(Duration.ofSeconds(30)).until(() -> standby.polls("default/nightly"));
    assertThat(holder()).isNotEqualTo(leaderName);
  }
}
