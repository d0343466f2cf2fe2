package dev.klambda.e2e;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.klambda.testing.PrometheusText;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.LocalPortForward;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.k3s.K3sContainer;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;

/**
 * klambda installed on a real cluster the way a user installs it: the chart with helm, the examples
 * applied as they are, invocations through the gateway Service (port-forwarded) with the AWS SDK,
 * metrics scraped from each klambda Pod. The cluster is K3s in Docker with the locally built images
 * imported, or the one of {@code -De2e.kubeconfig}. Everything lives in one namespace of its own:
 * the release, the operator (serving only that namespace) and the functions.
 */
final class KlambdaCluster implements AutoCloseable {
  static final String RELEASE = "klambda-e2e";
  static final String FUNCTION_LABEL = "klambda.dev/function";
  static final String POOL_LABEL = "klambda.dev/pool";
  static final int INIT_CPU_BOOST_MILLIS = 1000;

  /** The warm pool klambda is installed with: one member, of a size no other test uses. */
  static final String WARM_POOL_RUNTIME = "provided";

  static final int WARM_POOL_MEMORY_MB = 192;
  static final String API_VERSION = "klambda.dev/v1alpha1";
  static final ObjectMapper JSON = new ObjectMapper();
  private static final int GATEWAY_PORT = 8080;
  private static final int METRICS_PORT = 9090;
  static final int GATEWAY_REPLICAS = 2;

  private final E2ESettings settings;
  private final String namespace = "klambda-e2e-" + UUID.randomUUID().toString().substring(0, 6);
  private K3sContainer k3s;
  private Path kubeconfig;
  private KubernetesClient client;
  private boolean installed;
  private LocalPortForward gateway;
  private LambdaClient lambda;
  private String invokerSecret;
  private static final String INVOKER = "e2e-invoker";
  private static final String INVOKER_KEY_ID = "AKIDKLAMBDAE2E";
  private boolean closed;

  private KlambdaCluster(E2ESettings settings) {
    this.settings = settings;
  }

  /** Starts (or connects to) the cluster and installs klambda; on failure undoes what it did. */
  static KlambdaCluster start(E2ESettings settings) {
    KlambdaCluster cluster = new KlambdaCluster(settings);
    try {
      cluster.startUp();
      return cluster;
    } catch (RuntimeException | Error e) {
      System.out.println(cluster.describe());
      cluster.close();
      throw e;
    }
  }

  private void startUp() {
    if (settings.givenCluster()) {
      kubeconfig = Path.of(settings.kubeconfig()).toAbsolutePath();
      if (!Files.isReadable(kubeconfig)) {
        throw new IllegalStateException(
            "-De2e.kubeconfig=" + settings.kubeconfig() + " is not a readable file");
      }
      log(
          "using the cluster of "
              + kubeconfig
              + "; images "
              + settings.operatorImageInCluster()
              + " and "
              + settings.runtimeImageInCluster()
              + " must be pullable there");
    } else {
      startK3s();
    }
    try {
      client =
          new KubernetesClientBuilder()
              .withConfig(Config.fromKubeconfig(Files.readString(kubeconfig)))
              .build();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    install();
    createInvoker();
    InetAddress loopback = InetAddress.getLoopbackAddress();
    gateway =
        client
            .services()
            .inNamespace(namespace)
            .withName(RELEASE + "-gateway")
            .portForward(GATEWAY_PORT, loopback, 0);
    lambda =
        LambdaClient.builder()
            .endpointOverride(URI.create(gatewayUrl()))
            .region(Region.US_EAST_1)
            // the chart authenticates callers: the tests sign with the invoker's access key
            .credentialsProvider(
                StaticCredentialsProvider.create(
                    AwsBasicCredentials.create(INVOKER_KEY_ID, invokerSecret)))
            .httpClient(
                UrlConnectionHttpClient.builder().socketTimeout(Duration.ofSeconds(90)).build())
            // no retries: each test counts the answers it gets
            .overrideConfiguration(
                c ->
                    c.retryStrategy(AwsRetryStrategy.doNotRetry())
                        .apiCallTimeout(Duration.ofSeconds(120)))
            .build();
    log(
        "gateway on "
            + gatewayUrl()
            + " (a port-forward to the Service in namespace "
            + namespace
            + ")");
  }

  private void startK3s() {
    log("starting K3s (" + settings.k3sImage() + ")");
    k3s =
        new K3sContainer(
            DockerImageName.parse(settings.k3sImage()).asCompatibleSubstituteFor("rancher/k3s"));
    k3s.start();
    for (String image : List.of(settings.operatorImage(), settings.runtimeImage())) {
      importImage(image);
    }
    try {
      kubeconfig = Files.createTempFile("klambda-e2e-kubeconfig-", ".yaml"); // rw------- for helm
      Files.writeString(kubeconfig, k3s.getKubeConfigYaml());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code docker save} from the local engine, {@code ctr images import} inside K3s. */
  private void importImage(String image) {
    log("importing " + image + " into K3s");
    String[] repositoryAndTag = E2ESettings.repositoryAndTag(image);
    String inContainer = "/tmp/" + image.replaceAll("[^A-Za-z0-9.-]", "_") + ".tar";
    Path tar = null;
    try {
      tar = Files.createTempFile("klambda-e2e-image-", ".tar");
      try (InputStream saved =
          DockerClientFactory.instance()
              .client()
              .saveImageCmd(repositoryAndTag[0])
              .withTag(repositoryAndTag[1])
              .exec()) {
        Files.copy(saved, tar, StandardCopyOption.REPLACE_EXISTING);
      }
      k3s.copyFileToContainer(MountableFile.forHostPath(tar), inContainer);
      exec("ctr", "-n", "k8s.io", "images", "import", inContainer);
      exec("rm", "-f", inContainer);
      String images = exec("ctr", "-n", "k8s.io", "images", "ls", "-q");
      if (!images.contains(repositoryAndTag[0] + ":" + repositoryAndTag[1])) {
        throw new IllegalStateException(
            "K3s does not list " + image + " after the import:\n" + images);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy " + image + " into K3s", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } finally {
      if (tar != null) {
        try {
          Files.deleteIfExists(tar);
        } catch (IOException ignored) {
          // a temporary file left behind
        }
      }
    }
  }

  private String exec(String... command) throws IOException, InterruptedException {
    ExecResult result = k3s.execInContainer(command);
    if (result.getExitCode() != 0) {
      throw new IllegalStateException(
          String.join(" ", command)
              + " in K3s exited with "
              + result.getExitCode()
              + ":\n"
              + result.getStdout()
              + result.getStderr());
    }
    return result.getStdout();
  }

  /** helm install of charts/klambda, serving only this run's namespace; waits for the operator. */
  private void install() {
    String[] operator = E2ESettings.repositoryAndTag(settings.operatorImageInCluster());
    List<String> args =
        new ArrayList<>(
            List.of(
                "install",
                RELEASE,
                settings.repoRoot().resolve("charts/klambda").toString(),
                "--namespace",
                namespace,
                "--create-namespace",
                "--wait",
                "--timeout",
                "5m",
                "--set-string",
                "image.repository=" + operator[0],
                "--set-string",
                "image.tag=" + operator[1],
                // K3s has the images imported and can pull nothing; a given cluster pulls them
                "--set-string",
                "image.pullPolicy=" + (settings.givenCluster() ? "IfNotPresent" : "Never"),
                "--set-string",
                "operator.runtimeImage=" + settings.runtimeImageInCluster(),
                "--set-string",
                "namespaces[0]=" + namespace,
                "--set-string",
                "operator.defaultNamespace=" + namespace,
                // a cold start on a busy CI node (schedule, mount, start the agent) may take longer
                // than 10 s
                "--set",
                "operator.queueTimeoutSeconds=60",
                // the data plane as a scaled-out cluster runs it: every test goes through two
                // replicas
                "--set",
                "gateway.replicas=" + GATEWAY_REPLICAS,
                // Init at a full vCPU, then the function container resized in place to its share
                // (1.33+)
                "--set",
                "operator.environments.initCpuBoostMillis=" + INIT_CPU_BOOST_MILLIS,
                // one warm-pool member, of a size only WarmPoolE2E's function has
                "--set-string",
                "operator.environments.warmPool[0].namespace=" + namespace,
                "--set-string",
                "operator.environments.warmPool[0].runtime=" + WARM_POOL_RUNTIME,
                "--set",
                "operator.environments.warmPool[0].memoryMB=" + WARM_POOL_MEMORY_MB,
                "--set",
                "operator.environments.warmPool[0].size=1",
                // klambda's own lines as a log pipeline reads them (LogFormatE2E)
                "--set-string",
                "logFormat=json"));
    log("helm " + String.join(" ", args));
    installed = true; // even a failed install leaves a release to uninstall
    new Helm(kubeconfig).run(Duration.ofMinutes(6), args);
  }

  /**
   * A ServiceAccount that RBAC lets invoke the run's functions (a Role with verb invoke on
   * functions.klambda.dev, as a user would grant it) and an access key acting as it.
   */
  private void createInvoker() {
    invokerSecret = java.util.UUID.randomUUID().toString();
    client
        .serviceAccounts()
        .inNamespace(namespace)
        .resource(
            new io.fabric8.kubernetes.api.model.ServiceAccountBuilder()
                .withNewMetadata()
                .withName(INVOKER)
                .endMetadata()
                .build())
        .create();
    client
        .rbac()
        .roles()
        .inNamespace(namespace)
        .resource(
            new io.fabric8.kubernetes.api.model.rbac.RoleBuilder()
                .withNewMetadata()
                .withName(INVOKER)
                .endMetadata()
                .addNewRule()
                .withApiGroups("klambda.dev")
                .withResources("functions")
                .withVerbs("invoke")
                .endRule()
                .build())
        .create();
    client
        .rbac()
        .roleBindings()
        .inNamespace(namespace)
        .resource(
            new io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder()
                .withNewMetadata()
                .withName(INVOKER)
                .endMetadata()
                .withNewRoleRef()
                .withApiGroup("rbac.authorization.k8s.io")
                .withKind("Role")
                .withName(INVOKER)
                .endRoleRef()
                .addNewSubject()
                .withKind("ServiceAccount")
                .withName(INVOKER)
                .withNamespace(namespace)
                .endSubject()
                .build())
        .create();
    client
        .secrets()
        .inNamespace(namespace)
        .resource(
            new io.fabric8.kubernetes.api.model.SecretBuilder()
                .withNewMetadata()
                .withName(INVOKER + "-key")
                .withAnnotations(java.util.Map.of("klambda.dev/service-account", INVOKER))
                .endMetadata()
                .withType("klambda.dev/access-key")
                .withStringData(
                    java.util.Map.of(
                        "accessKeyId", INVOKER_KEY_ID, "secretAccessKey", invokerSecret))
                .build())
        .create();
  }

  // ---- for the tests

  /** The ServiceAccount the tests invoke as (a Role grants it verb invoke on functions). */
  String invoker() {
    return INVOKER;
  }

  String namespace() {
    return namespace;
  }

  KubernetesClient client() {
    return client;
  }

  LambdaClient lambda() {
    return lambda;
  }

  /**
   * The gateway as this machine reaches it (function URLs: {@code
   * <gateway>/url/<namespace>/<name>/}).
   */
  String gatewayUrl() {
    return "http://" + gateway.getLocalAddress().getHostAddress() + ":" + gateway.getLocalPort();
  }

  /** Invokes synchronously through the gateway Service. */
  InvokeResponse invoke(String function, String payload) {
    return lambda.invoke(r -> r.functionName(function).payload(SdkBytes.fromUtf8String(payload)));
  }

  /** The documents of examples/FILE, as they are, placed in this run's namespace. */
  List<GenericKubernetesResource> example(String file) {
    Path path = settings.repoRoot().resolve("examples").resolve(file);
    List<GenericKubernetesResource> resources = new ArrayList<>();
    try (MappingIterator<Map<String, Object>> documents =
        new YAMLMapper().readerForMapOf(Object.class).readValues(path.toFile())) {
      for (Map<String, Object> document : documents.readAll()) {
        if (document != null) {
          resources.add(JSON.convertValue(document, GenericKubernetesResource.class));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + path, e);
    }
    return resources;
  }

  /** Server-side apply into this run's namespace. */
  GenericKubernetesResource apply(GenericKubernetesResource resource) {
    resource.getMetadata().setNamespace(namespace);
    return client
        .genericKubernetesResources(resource.getApiVersion(), resource.getKind())
        .inNamespace(namespace)
        .resource(resource)
        .fieldManager("klambda-e2e")
        .forceConflicts()
        .serverSideApply();
  }

  GenericKubernetesResource apply(Map<String, Object> manifest) {
    return apply(JSON.convertValue(manifest, GenericKubernetesResource.class));
  }

  GenericKubernetesResource get(String kind, String name) {
    return client
        .genericKubernetesResources(API_VERSION, kind)
        .inNamespace(namespace)
        .withName(name)
        .get();
  }

  /** Waits until the resource's status reports Ready=True for its current generation. */
  void awaitReady(String kind, String name) {
    await("Ready of " + kind + " " + name)
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> ready(get(kind, name)));
  }

  private static boolean ready(GenericKubernetesResource resource) {
    if (resource == null) {
      return false;
    }
    JsonNode node = JSON.valueToTree(resource);
    if (node.at("/status/observedGeneration").asLong(-1)
        != node.at("/metadata/generation").asLong()) {
      return false;
    }
    for (JsonNode condition : node.at("/status/conditions")) {
      if (condition.path("type").asText().equals("Ready")) {
        return condition.path("status").asText().equals("True");
      }
    }
    return false;
  }

  /** The execution environments of a function: its pods, terminating ones included. */
  List<Pod> environments(String function) {
    return client
        .pods()
        .inNamespace(namespace)
        .withLabel(FUNCTION_LABEL, function)
        .list()
        .getItems();
  }

  /**
   * Waits until the kubelet has applied the end of the Init boost: the function container of the
   * Pod runs with CPU limit {@code cpu} (its status, not only its spec), then returns the Pod.
   */
  Pod awaitFunctionCpuLimit(String pod, String cpu) {
    Quantity limit = new Quantity(cpu);
    await("the function container of " + pod + " resized to " + cpu)
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () ->
                client
                    .pods()
                    .inNamespace(namespace)
                    .withName(pod)
                    .get()
                    .getStatus()
                    .getContainerStatuses()
                    .stream()
                    .filter(
                        s ->
                            s.getName().equals("function")
                                && s.getResources() != null
                                && s.getResources().getLimits() != null)
                    .anyMatch(s -> limit.equals(s.getResources().getLimits().get("cpu"))));
    return client.pods().inNamespace(namespace).withName(pod).get();
  }

  /** The warm pool's unclaimed member Pods, terminating ones left out. */
  List<Pod> poolMembers() {
    return client
        .pods()
        .inNamespace(namespace)
        .withLabel(POOL_LABEL, WARM_POOL_RUNTIME + "-" + WARM_POOL_MEMORY_MB)
        .list()
        .getItems()
        .stream()
        .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
        .toList();
  }

  /** Deletes the resource (if it exists) and waits until it and its function's pods are gone. */
  void delete(String kind, String name) {
    client
        .genericKubernetesResources(API_VERSION, kind)
        .inNamespace(namespace)
        .withName(name)
        .delete();
    await(kind + " " + name + " deleted")
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () ->
                get(kind, name) == null
                    && (!kind.equals("Function") || environments(name).isEmpty()));
  }

  /** The klambda Pods of a component ({@code gateway} or {@code operator}) that run. */
  List<Pod> klambdaPods(String component) {
    return client
        .pods()
        .inNamespace(namespace)
        .withLabel("app.kubernetes.io/instance", RELEASE)
        .withLabel("app.kubernetes.io/component", component)
        .list()
        .getItems()
        .stream()
        .filter(
            pod ->
                "Running".equals(pod.getStatus().getPhase())
                    && pod.getMetadata().getDeletionTimestamp() == null)
        .toList();
  }

  /**
   * /metrics of every gateway and operator Pod, as Prometheus scrapes them (each Pod, not the
   * Service, which would pick one): a series counts the sum over the Pods, as {@code sum by} would.
   */
  List<PrometheusText.Sample> scrapeMetrics() {
    List<PrometheusText.Sample> samples = new ArrayList<>();
    for (String component : List.of("gateway", "operator")) {
      for (Pod pod : klambdaPods(component)) {
        try (LocalPortForward forward =
            client
                .pods()
                .inNamespace(namespace)
                .withName(pod.getMetadata().getName())
                .portForward(METRICS_PORT, InetAddress.getLoopbackAddress(), 0)) {
          samples.addAll(
              PrometheusText.parse(
                  get(
                      "http://"
                          + forward.getLocalAddress().getHostAddress()
                          + ":"
                          + forward.getLocalPort()
                          + "/metrics")));
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }
    return samples;
  }

  private static String get(String url) {
    try (HttpClient http = HttpClient.newHttpClient()) {
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).build(),
              HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        throw new IllegalStateException(
            "GET " + url + " answered " + response.statusCode() + ": " + response.body());
      }
      return response.body();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Pods, klambda resources and recent logs of this run's namespace, for a failure report. */
  String describe() {
    if (client == null) {
      return "[klambda e2e] no cluster to describe";
    }
    StringBuilder out =
        new StringBuilder("[klambda e2e] namespace ").append(namespace).append('\n');
    try {
      for (String kind : List.of("Function", "EventSourceMapping")) {
        for (GenericKubernetesResource resource :
            client
                .genericKubernetesResources(API_VERSION, kind)
                .inNamespace(namespace)
                .list()
                .getItems()) {
          out.append(kind)
              .append(' ')
              .append(resource.getMetadata().getName())
              .append(" status: ")
              .append(JSON.valueToTree(resource).path("status"))
              .append('\n');
        }
      }
      List<Pod> pods = client.pods().inNamespace(namespace).list().getItems();
      for (Pod pod : pods) {
        out.append("pod ")
            .append(pod.getMetadata().getName())
            .append(' ')
            .append(pod.getStatus().getPhase())
            .append(' ')
            .append(pod.getMetadata().getLabels())
            .append('\n');
      }
      for (Pod pod : pods) {
        String log =
            client
                .pods()
                .inNamespace(namespace)
                .withName(pod.getMetadata().getName())
                .tailingLines(60)
                .getLog();
        out.append("---- last lines of ")
            .append(pod.getMetadata().getName())
            .append('\n')
            .append(log);
      }
    } catch (RuntimeException e) {
      out.append("(cannot describe: ").append(e).append(")\n");
    }
    return out.toString();
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    quietly(lambda);
    quietly(gateway);
    if (k3s == null && installed && client != null) {
      if (settings.keep()) {
        log(
            "-De2e.keep: leaving release "
                + RELEASE
                + " and namespace "
                + namespace
                + " in the cluster");
      } else {
        uninstall();
      }
    }
    quietly(client);
    if (k3s != null) {
      k3s.stop();
    }
    if (k3s != null && kubeconfig != null) {
      try {
        Files.deleteIfExists(kubeconfig);
      } catch (IOException ignored) {
        // a temporary file left behind
      }
    }
  }

  /**
   * On a given cluster: the klambda resources first, while the operator still runs to remove its
   * finalizers, then the release, then the namespace.
   */
  private void uninstall() {
    try {
      for (String kind : List.of("EventSourceMapping", "Function")) {
        client.genericKubernetesResources(API_VERSION, kind).inNamespace(namespace).delete();
      }
      await()
          .atMost(Duration.ofSeconds(90))
          .ignoreExceptions()
          .until(
              () ->
                  List.of("EventSourceMapping", "Function").stream()
                      .allMatch(
                          kind ->
                              client
                                  .genericKubernetesResources(API_VERSION, kind)
                                  .inNamespace(namespace)
                                  .list()
                                  .getItems()
                                  .isEmpty()));
      new Helm(kubeconfig)
          .run(
              Duration.ofMinutes(3),
              List.of("uninstall", RELEASE, "--namespace", namespace, "--wait", "--timeout", "2m"));
      client.namespaces().withName(namespace).delete();
      log("uninstalled " + RELEASE + " and deleted namespace " + namespace);
    } catch (RuntimeException e) {
      log(
          "clean-up incomplete ("
              + e.getMessage()
              + "): remove release "
              + RELEASE
              + " and namespace "
              + namespace
              + " by hand");
    }
  }

  private static void quietly(AutoCloseable closeable) {
    if (closeable != null) {
      try {
        closeable.close();
      } catch (Exception e) {
        log("closing " + closeable.getClass().getSimpleName() + ": " + e);
      }
    }
  }

  static void log(String line) {
    System.out.println("[klambda e2e] " + line);
  }

  /** The response payload as JSON. */
  static JsonNode json(InvokeResponse response) {
    try {
      return JSON.readTree(response.payload().asString(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("not JSON: " + response.payload().asUtf8String(), e);
    }
  }
}
