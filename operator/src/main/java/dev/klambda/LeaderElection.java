package dev.klambda;

import dev.klambda.cli.Options;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import java.time.Duration;
import java.util.UUID;

/**
 * One active operator among replicas, through a coordination.k8s.io Lease: the leader reconciles,
 * runs every event source poller (so each mapping has one owner) and reports ready, so the gateway
 * Service sends invocations to it alone; the others wait as warm standbys. A leader that loses its
 * Lease stops its pollers at once and, as shipped, exits (gracefully, draining in-flight
 * invocations) to come back as a standby.
 *
 * @param exitOnStopLeading exit the process when the Lease is lost while running (not on shutdown)
 */
public record LeaderElection(
    String leaseName,
    String leaseNamespace,
    String identity,
    Duration leaseDuration,
    Duration renewDeadline,
    Duration retryPeriod,
    boolean exitOnStopLeading) {
  public static final String LEASE_NAME = "klambda-operator";

  /** As configured on the command line; null when it is off. */
  static LeaderElection of(Options options, KubernetesClient client) {
    if (!options.leaderElection()) {
      return null;
    }
    String namespace =
        options.leaseNamespace() != null ? options.leaseNamespace() : client.getNamespace();
    String identity = System.getenv().getOrDefault("HOSTNAME", "klambda-" + UUID.randomUUID());
    return new LeaderElection(
        LEASE_NAME,
        namespace,
        identity,
        LeaderElectionConfiguration.LEASE_DURATION_DEFAULT_VALUE,
        LeaderElectionConfiguration.RENEW_DEADLINE_DEFAULT_VALUE,
        LeaderElectionConfiguration.RETRY_PERIOD_DEFAULT_VALUE,
        true);
  }

  /**
   * JOSDK's own exit on stop leading is off: it calls System.exit also when the operator stops on
   * SIGTERM, from inside the shutdown, which would block. The caller decides in {@code
   * onStopLeading} whether leadership was lost (then exit, see {@link #exitOnStopLeading}) or given
   * up on shutdown.
   */
  LeaderElectionConfiguration configuration(Runnable onStartLeading, Runnable onStopLeading) {
    return new LeaderElectionConfiguration(
        leaseName,
        leaseNamespace,
        leaseDuration,
        renewDeadline,
        retryPeriod,
        identity,
        new LeaderCallbacks(onStartLeading, onStopLeading, newLeader -> {}),
        false);
  }
}
