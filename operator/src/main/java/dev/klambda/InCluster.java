package dev.klambda;

import dev.klambda.auth.MetricsReaders;
import dev.klambda.cli.Commands;
import dev.klambda.cli.Options;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import java.io.IOException;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How the two cluster modes run as a command, once their options are parsed (and logging set up in
 * the format they ask for): connect to the API server (the kubeconfig, or the Pod's service
 * account), start (a failure exits with 1 and says why, in the log), then serve until SIGTERM,
 * which closes the mode in order.
 */
final class InCluster {
  private static final Logger LOG = LoggerFactory.getLogger(InCluster.class);

  /** Starts a mode against the cluster. */
  @FunctionalInterface
  interface Starter<T extends AutoCloseable> {
    T start(Options options, KubernetesClient client) throws IOException;
  }

  private InCluster() {}

  static <T extends AutoCloseable> int run(
      String mode, Options options, Starter<T> starter, Function<T, String> started) {
    KubernetesClient client =
        new KubernetesClientBuilder().withHttpClientFactory(new JdkHttpClientFactory()).build();
    T running;
    try {
      running = starter.start(options, client);
    } catch (IOException | RuntimeException e) {
      LOG.error(
          "klambda {}: cannot start against the API server at {}: {}",
          mode,
          client.getMasterUrl(),
          Commands.rootCause(e));
      client.close();
      return 1;
    }
    LOG.info(started.apply(running));
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    running.close();
                  } catch (Exception e) {
                    LOG.error("klambda {}: shutting down failed: {}", mode, Commands.rootCause(e));
                  } finally {
                    client.close();
                  }
                },
                "klambda-shutdown"));
    return Commands.waitForShutdown();
  }

  /** Who may read {@code /metrics}: {@code --metrics-auth}. */
  static MetricsReaders metricsReaders(Options options, KubernetesClient client) {
    return options.auth().metricsAuth()
        ? MetricsReaders.kubernetes(client, options.auth().allowedTtl(), options.auth().deniedTtl())
        : MetricsReaders.anyone();
  }
}
