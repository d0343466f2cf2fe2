package dev.klambda;

import dev.klambda.auth.MetricsReaders;
import dev.klambda.cli.Commands;
import dev.klambda.cli.Options;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import java.io.IOException;
import java.io.PrintStream;
import java.util.function.Function;

/**
 * How the two cluster modes run as a command, once their options are parsed: connect to the API
 * server (the kubeconfig, or the Pod's service account), start (a failure exits with 1 and says
 * why), then serve until SIGTERM, which closes the mode in order.
 */
final class InCluster {
  /** Starts a mode against the cluster. */
  @FunctionalInterface
  interface Starter<T extends AutoCloseable> {
    T start(Options options, KubernetesClient client) throws IOException;
  }

  private InCluster() {}

  static <T extends AutoCloseable> int run(String mode, Options options, Starter<T> starter,
      Function<T, String> started, PrintStream out, PrintStream err) {
    KubernetesClient client = new KubernetesClientBuilder().withHttpClientFactory(new JdkHttpClientFactory()).build();
    T running;
    try {
      running = starter.start(options, client);
    } catch (IOException | RuntimeException e) {
      err.println("klambda " + mode + ": cannot start against the API server at " + client.getMasterUrl() + ": "
          + Commands.rootCause(e));
      client.close();
      return 1;
    }
    out.println(started.apply(running));
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        running.close();
      } catch (Exception e) {
        err.println("klambda " + mode + ": shutting down failed: " + Commands.rootCause(e));
      } finally {
        client.close();
      }
    }, "klambda-shutdown"));
    return Commands.waitForShutdown();
  }

  /** Who may read {@code /metrics}: {@code --metrics-auth}. */
  static MetricsReaders metricsReaders(Options options, KubernetesClient client) {
    return options.auth().metricsAuth()
        ? MetricsReaders.kubernetes(client, options.auth().allowedTtl(), options.auth().deniedTtl())
        : MetricsReaders.anyone();
  }
}
