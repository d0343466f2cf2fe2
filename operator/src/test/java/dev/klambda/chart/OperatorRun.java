package dev.klambda.chart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.klambda.GatewayMode;
import dev.klambda.OperatorMode;
import dev.klambda.api.EventSourceMapping;
import dev.klambda.api.Function;
import dev.klambda.auth.AccessKey;
import dev.klambda.cli.Options;
import dev.klambda.kubelet.KubeletFixture;
import dev.klambda.testing.LambdaClients;
import dev.klambda.testing.Manifests;
import dev.klambda.testing.PrometheusText;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.lambda.LambdaClient;

/**
 * The operator and a gateway, each started with the arguments the chart renders for it and each
 * with its own identity towards the API server, taken through everything they do to a cluster: a
 * Function becomes Ready (finalizer, code ConfigMap, status), an invocation starts an environment
 * Pod, usage is written to status.usage and environment counts to status.environments, the idle Pod
 * is deleted, an EventSourceMapping is served, the code moves from inline to an image (its
 * ConfigMap goes), and both are deleted (cleanup). With a warm pool (of provided at 128 MB) the
 * invocations claim pooled Pods instead, one of them for a function whose code is in a ConfigMap of
 * the user's. The operator's pollers invoke through the gateway, as in the chart. Returns the
 * requests each made, as the API server saw them.
 */
final class OperatorRun {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final String ECHO = Manifests.bashRuntime("", "  respond \"$1\" \"$2\"");

  private OperatorRun() {}

  /**
   * The token the operator's pollers show the gateway (a projected ServiceAccount token in the
   * chart).
   */
  static final String POLLER_TOKEN = "projected-token-of-the-operator";

  /** The API requests of each component, oldest first. */
  record Recording(
      List<RecordingCluster.Request> operator, List<RecordingCluster.Request> gateway) {}

  /**
   * @param chart the documents helm template rendered: the args of both Deployments are used
   * @param namespace where the test's Function and mapping live
   */
  static Recording record(List<Map<String, Object>> chart, String namespace, Path workDir)
      throws Exception {
    List<String> gatewayArgs = Rendered.gatewayArgs(chart);
    List<String> operatorArgs = Rendered.operatorArgs(chart);
    try (RecordingCluster cluster = new RecordingCluster();
        KubeletFixture kubelet = new KubeletFixture(cluster.client(), workDir.resolve("kubelet"))) {
      // the gateway advertises the address it is bound to (no $POD_IP here): no --advertise-url
      // needed
      // the files the chart mounts: the replicas' key (a Secret) and the operator's projected token
      List<String> gatewayLocal = onLoopback(gatewayArgs, "--port", "--metrics-port");
      gatewayLocal.set(
          gatewayLocal.indexOf("--gateway-key-file") + 1,
          Files.writeString(workDir.resolve("gateway-key"), "a-key-the-replicas-share").toString());
      GatewayMode gateway =
          GatewayMode.start(Options.parseGateway(gatewayLocal), cluster.gatewayClient());
      try {
        List<String> args = onLoopback(operatorArgs, "--metrics-port");
        args.set(args.indexOf("--gateway-url") + 1, gateway.gateway().baseUrl());
        args.set(
            args.indexOf("--gateway-token-file") + 1,
            Files.writeString(workDir.resolve("poller-token"), POLLER_TOKEN).toString());
        OperatorMode operator =
            OperatorMode.start(Options.parseOperator(args), cluster.operatorClient());
        cluster
            .client()
            .secrets()
            .inNamespace(namespace)
            .resource(
                new SecretBuilder()
                    .withNewMetadata()
                    .withName("invoker-key")
                    .withAnnotations(Map.of(AccessKey.SERVICE_ACCOUNT_ANNOTATION, "invoker"))
                    .endMetadata()
                    .withType(AccessKey.SECRET_TYPE)
                    .withStringData(
                        Map.of(
                            "accessKeyId", "AKIDRECORDING", "secretAccessKey", "recording-secret"))
                    .build())
            .create();
        await().atMost(WAIT).until(() -> signedInvokeWorks(gateway, namespace));
        // a caller with a bearer token (the pollers' way): reviewed, allowed, and no such function
        HttpResponse<String> bearer =
            HttpClient.newHttpClient()
                .send(
                    HttpRequest.newBuilder(
                            URI.create(
                                gateway.gateway().baseUrl()
                                    + "/2015-03-31/functions/"
                                    + namespace
                                    + "%2Fno-such/invocations"))
                        .header("Authorization", "Bearer " + POLLER_TOKEN)
                        .POST(HttpRequest.BodyPublishers.ofString("{}"))
                        .build(),
                    HttpResponse.BodyHandlers.ofString());
        assertThat(bearer.statusCode()).as(bearer.body()).isEqualTo(404);
        try (LambdaClient lambda =
            LambdaClients.of(gateway.gateway().baseUrl(), "AKIDRECORDING", "recording-secret")) {
          exercise(
              cluster.client(),
              lambda,
              namespace,
              gatewayArgs.contains("--warm-pool") ? () -> awaitPoolFull(gateway) : null,
              () ->
                  cluster.gatewayRequests().stream()
                      .anyMatch(
                          r ->
                              r.method().equals("PATCH")
                                  && r.path().startsWith("/apis/klambda.dev/")
                                  && r.path()
                                      .contains(
                                          "/namespaces/" + namespace + "/functions/echo/status")));
        } finally {
          operator.close();
        }
      } finally {
        gateway.close();
      }
      return new Recording(cluster.operatorRequests(), cluster.gatewayRequests());
    }
  }

  /** The chart's flags, with these ports free loopback ports of this machine. */
  private static List<String> onLoopback(List<String> chartArgs, String... ports) {
    List<String> args = new ArrayList<>(chartArgs);
    for (String port : ports) {
      args.set(args.indexOf(port) + 1, "0");
    }
    args.addAll(List.of("--bind", "127.0.0.1"));
    return args;
  }

  /**
   * @param poolFull null without a warm pool; else waits until the pool has all its members, so
   *     that the next cold start claims one
   * @param countsWritten whether the gateway has written the environment counts of echo
   */
  private static void exercise(
      KubernetesClient client,
      LambdaClient lambda,
      String namespace,
      Runnable poolFull,
      java.util.function.BooleanSupplier countsWritten) {
    var functions = client.resources(Function.class).inNamespace(namespace);
    var mappings = client.resources(EventSourceMapping.class).inNamespace(namespace);
    client
        .resource(
            JSON.convertValue(
                Manifests.provided("echo", ECHO, Map.of("idleTimeoutSeconds", 1)), Function.class))
        .inNamespace(namespace)
        .create();
    await().atMost(WAIT).until(() -> ready(functions.withName("echo").get()));

    if (poolFull != null) {
      poolFull.run();
    }
    assertThat(invoke(lambda, namespace, "echo")).isEqualTo(200);
    await()
        .atMost(WAIT)
        .until(() -> functions.withName("echo").get().getStatus().getUsage() != null);
    // the gateway that routes it writes its environment counts too (every 10 s, when they changed);
    // status.environments starts at zeros, so only the request tells that it did
    await().atMost(WAIT).until(countsWritten::getAsBoolean);
    await()
        .atMost(WAIT)
        .until(
            () ->
                client
                    .pods()
                    .inNamespace(namespace)
                    .withLabel("klambda.dev/function")
                    .list()
                    .getItems()
                    .isEmpty());
    if (poolFull != null) {
      client
          .configMaps()
          .inNamespace(namespace)
          .resource(
              new ConfigMapBuilder()
                  .withNewMetadata()
                  .withName("mapped-files")
                  .endMetadata()
                  .withData(Map.of("bootstrap", ECHO))
                  .build())
          .create();
      client
          .resource(
              JSON.convertValue(
                  Manifests.function(
                      "mapped",
                      Map.of(
                          "runtime",
                          "provided",
                          "code",
                          Map.of("configMap", Map.of("name", "mapped-files")))),
                  Function.class))
          .inNamespace(namespace)
          .create();
      await().atMost(WAIT).until(() -> ready(functions.withName("mapped").get()));
      poolFull.run();
      assertThat(invoke(lambda, namespace, "mapped")).isEqualTo(200);
      functions.withName("mapped").delete();
      await().atMost(WAIT).until(() -> functions.withName("mapped").get() == null);
    }

    mappings
        .resource(
            JSON.convertValue(
                Map.of(
                    "apiVersion",
                    "klambda.dev/v1alpha1",
                    "kind",
                    "EventSourceMapping",
                    "metadata",
                    Map.of("name", "daily"),
                    "spec",
                    Map.of(
                        "functionName",
                        "echo",
                        "source",
                        Map.of("schedule", Map.of("expression", "rate(1 day)")))),
                EventSourceMapping.class))
        .create();
    await()
        .atMost(WAIT)
        .until(
            () -> {
              EventSourceMapping mapping = mappings.withName("daily").get();
              return mapping.getStatus() != null
                  && "Enabled".equals(mapping.getStatus().getState());
            });

    // new inline code: the ConfigMap is updated
    functions
        .withName("echo")
        .patch(
            PatchContext.of(PatchType.JSON_MERGE),
            "{\"spec\":{\"code\":{\"inline\":{\"files\":{\"bootstrap\":\"#!/bin/sh\\nexit 1\\n\"}}}}}");
    await()
        .atMost(WAIT)
        .until(
            () ->
                client
                    .configMaps()
                    .inNamespace(namespace)
                    .withName("echo-code")
                    .get()
                    .getData()
                    .values()
                    .stream()
                    .anyMatch(v -> v.contains("exit 1")));
    // code from an image: the ConfigMap goes
    functions
        .withName("echo")
        .patch(
            PatchContext.of(PatchType.JSON_MERGE),
            "{\"spec\":{\"code\":{\"inline\":null,\"image\":\"example.com/echo:1\"}}}");
    await()
        .atMost(WAIT)
        .until(
            () -> client.configMaps().inNamespace(namespace).withName("echo-code").get() == null);

    mappings.withName("daily").delete();
    functions.withName("echo").delete();
    await()
        .atMost(WAIT)
        .until(
            () ->
                mappings.withName("daily").get() == null
                    && functions.withName("echo").get() == null);
  }

  /** Whether the gateway's informer has the access key yet (an unknown key is refused). */
  private static boolean signedInvokeWorks(GatewayMode gateway, String namespace) {
    try (LambdaClient lambda =
        LambdaClients.of(gateway.gateway().baseUrl(), "AKIDRECORDING", "recording-secret")) {
      lambda.invoke(
          r -> r.functionName("arn:aws:lambda:us-east-1:" + namespace + ":function:no-such"));
      return true;
    } catch (software.amazon.awssdk.services.lambda.model.LambdaException e) {
      return e.statusCode() == 404; // known, allowed, and there is no such function
    }
  }

  private static int invoke(LambdaClient lambda, String namespace, String function) {
    String arn = "arn:aws:lambda:us-east-1:" + namespace + ":function:" + function;
    return lambda
        .invoke(r -> r.functionName(arn).payload(SdkBytes.fromUtf8String("{}")))
        .statusCode();
  }

  /** Every pool member started and claimable, as the gateway's metrics count them. */
  private static void awaitPoolFull(GatewayMode gateway) {
    await()
        .atMost(WAIT)
        .until(
            () -> {
              String text =
                  HttpClient.newHttpClient()
                      .send(
                          HttpRequest.newBuilder(URI.create(gateway.metricsUrl())).build(),
                          HttpResponse.BodyHandlers.ofString())
                      .body();
              List<PrometheusText.Sample> samples = PrometheusText.parse(text);
              return PrometheusText.value(
                          samples,
                          "klambda_environments",
                          Map.of("function", "", "state", "starting"))
                      == 0
                  && PrometheusText.value(
                          samples,
                          "klambda_environments",
                          Map.of("function", "", "state", "pooled"))
                      > 0;
            });
  }

  private static boolean ready(Function function) {
    return function != null
        && function.getStatus() != null
        && function.getStatus().getConditions().stream()
            .anyMatch(c -> c.getType().equals("Ready") && c.getStatus().equals("True"));
  }
}
