package dev.klambda.cli;

import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "operator",
    description = {
      "The control plane: reconciles Functions and "
          + "EventSourceMappings (status, code ConfigMaps) and runs the event source pollers, which invoke through "
          + "the gateway."
    })
final class OperatorCommand implements KlambdaCommand.ModeCommand {
  @Mixin CommonFlags common;
  @Mixin ClusterFlags cluster;

  @Option(
      names = "--bind",
      paramLabel = "ADDRESS",
      defaultValue = "0.0.0.0",
      description = "address to listen on (default ${DEFAULT-VALUE})")
  String bind;

  @Option(
      names = "--gateway-url",
      paramLabel = "URL",
      description =
          "where the gateway is reached: status.invokeUrl, and the pollers' invocations "
              + "(default http://klambda-gateway.<pod namespace>.svc:8080)")
  String gatewayUrl;

  @Option(
      names = "--leader-election",
      paramLabel = "true|false",
      arity = "1",
      defaultValue = "false",
      description =
          "one active replica among several: the leader reconciles, polls event sources and reports "
              + "ready; the others wait (default ${DEFAULT-VALUE})")
  boolean leaderElection;

  @Option(
      names = "--gateway-token-file",
      paramLabel = "FILE",
      description =
          "a bearer token the pollers show the gateway, re-read every minute (the chart projects the "
              + "ServiceAccount's token for the gateway's audience); default: none, for a gateway with --auth none")
  Path gatewayTokenFile;

  @Override
  public Options toOptions() {
    common.check();
    return new Options.Builder(bind, common)
        .cluster(cluster, cluster.sizing())
        .operator(gatewayUrl, leaderElection)
        .operatorAuth(gatewayTokenFile, cluster.metricsAuth())
        .build();
  }
}
