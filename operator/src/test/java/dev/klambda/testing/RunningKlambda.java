package dev.klambda.testing;

import dev.klambda.GatewayMode;
import dev.klambda.OperatorMode;
import dev.klambda.gateway.Gateway;
import dev.klambda.routing.FunctionRegistry;

/**
 * klambda on a cluster as the chart runs it, in this JVM: a gateway replica and an operator whose
 * pollers invoke through that gateway. Closes the operator first, as a rolling update of both
 * would.
 */
public record RunningKlambda(GatewayMode gatewayReplica, OperatorMode operator)
    implements AutoCloseable {
  public Gateway gateway() {
    return gatewayReplica.gateway();
  }

  public FunctionRegistry registry() {
    return gatewayReplica.registry();
  }

  /** The gateway's metrics: the invocations, environments and pools. */
  public String metricsUrl() {
    return gatewayReplica.metricsUrl();
  }

  /** The operator's metrics: its reconciles and pollers. */
  public String operatorMetricsUrl() {
    return operator.metricsUrl();
  }

  /** Whether the operator runs the poller of the mapping {@code namespace/name}. */
  public boolean polls(String mappingKey) {
    return operator.polls(mappingKey);
  }

  @Override
  public void close() {
    operator.close();
    gatewayReplica.close();
  }
}
