package dev.klambda.kubelet;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import java.io.File;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent as a local process standing in for a Pod's container: local mode's java command for the
 * agent jar, with the container's environment as the kubelet resolves it plus what the agent needs
 * to serve on the Pod IP.
 */
final class AgentCommand {
  /** The agent's ports, on every Pod IP. */
  static final int INVOKE_PORT = 9000;

  static final int RUNTIME_API_PORT = 9001;
  static final int LAUNCHER_PORT = 9002;

  /** The launcher script, beside the agent's jar in its distribution. */
  private static final String LAUNCHER = "klambda-launcher";

  private static final Logger LOG = LoggerFactory.getLogger(AgentCommand.class);

  /** Local mode's options for the agent's JVM: it starts fast and small. */
  private static final List<String> JVM_OPTIONS =
      List.of(
          "-XX:TieredStopAtLevel=1",
          "-XX:+UseSerialGC",
          "-Xshare:auto",
          "-Xss512k",
          "-XX:MaxRAM=256m",
          "-XX:-UsePerfData");

  private static final Pattern ENV_REFERENCE = Pattern.compile("\\$\\$|\\$\\(([-._a-zA-Z0-9]+)\\)");

  private AgentCommand() {}

  /** The agent of that Pod, to start in its task root; output and errors on one stream. */
  static ProcessBuilder of(
      Path agentJar, Pod pod, Container container, InetAddress ip, Path taskRoot, Path tmp) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(JVM_OPTIONS);
    command.add("-jar");
    command.add(agentJar.toString());
    return inSession(command, environment(pod, container, ip, taskRoot, tmp), taskRoot);
  }

  /**
   * The function's container: the launcher of the agent's distribution (the image's is the same
   * script), reaching the agent on the Pod IP instead of the Pod's loopback.
   */
  static ProcessBuilder launcher(
      Path agentJar, Pod pod, Container container, InetAddress ip, Path taskRoot, Path tmp) {
    Map<String, String> env = environment(pod, container, ip, taskRoot, tmp);
    env.put("KLAMBDA_LAUNCHER_ADDRESS", ip.getHostAddress() + ":" + LAUNCHER_PORT);
    return inSession(List.of("bash", agentJar.resolveSibling(LAUNCHER).toString()), env, taskRoot);
  }

  /**
   * A container's process in a session of its own: what is left of the session when it exits is the
   * "container"; with exactly {@code env}, in the task root, output and errors on one stream.
   */
  private static ProcessBuilder inSession(
      List<String> command, Map<String, String> env, Path taskRoot) {
    List<String> line = new ArrayList<>();
    if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
      line.add("/usr/bin/setsid");
    }
    line.addAll(command);
    ProcessBuilder builder =
        new ProcessBuilder(line)
            .directory(taskRoot.toFile())
            .redirectErrorStream(true)
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    builder.environment().clear();
    builder.environment().putAll(env);
    return builder;
  }

  private static Map<String, String> environment(
      Pod pod, Container container, InetAddress ip, Path taskRoot, Path tmp) {
    Map<String, String> env = new LinkedHashMap<>();
    if (container.getEnv() != null) {
      for (EnvVar var : container.getEnv()) {
        if (var.getValueFrom() != null) {
          String value = valueFrom(pod, var, ip);
          if (value != null) {
            env.put(var.getName(), value);
          }
          continue;
        }
        env.put(var.getName(), expand(var.getValue() == null ? "" : var.getValue(), env));
      }
    }
    String host = ip.getHostAddress();
    env.put("KLAMBDA_TASK_ROOT", taskRoot.toString());
    env.put("KLAMBDA_INVOKE_ADDRESS", host + ":" + INVOKE_PORT);
    env.put("KLAMBDA_RUNTIME_API", host + ":" + RUNTIME_API_PORT);
    if (env.containsKey("KLAMBDA_LAUNCHER_ADDRESS")) {
      // the Pod's loopback is the Pod IP here
      env.put("KLAMBDA_LAUNCHER_ADDRESS", host + ":" + LAUNCHER_PORT);
    }
    // the host's tools stand in for the image's
    env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin"));
    env.put("TMPDIR", tmp.toString());
    return env;
  }

  /** The downward API's fields; other sources (Secrets, ConfigMaps) are not played. */
  private static String valueFrom(Pod pod, EnvVar var, InetAddress ip) {
    String podKey = pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
    if (var.getValueFrom().getFieldRef() != null) {
      String field = var.getValueFrom().getFieldRef().getFieldPath();
      return switch (field) {
        case "metadata.name" -> pod.getMetadata().getName();
        case "metadata.namespace" -> pod.getMetadata().getNamespace();
        case "metadata.uid" -> pod.getMetadata().getUid();
        case "status.podIP" -> ip.getHostAddress();
        case "status.hostIP" -> PodStatusModel.HOST_IP;
        case "spec.nodeName" -> "kubelet-fixture";
        default -> {
          LOG.warn(
              "kubelet fixture: pod {}: env {} from field {} is not played",
              podKey,
              var.getName(),
              field);
          yield null;
        }
      };
    }
    LOG.warn(
        "kubelet fixture: pod {}: env {} from {} is not played",
        podKey,
        var.getName(),
        var.getValueFrom());
    return null;
  }

  /** Kubernetes' {@code $(VAR)} references to earlier variables; {@code $$} is a literal $. */
  private static String expand(String value, Map<String, String> defined) {
    Matcher m = ENV_REFERENCE.matcher(value);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String replacement = m.group(1) == null ? "$" : defined.getOrDefault(m.group(1), m.group());
      m.appendReplacement(out, Matcher.quoteReplacement(replacement));
    }
    m.appendTail(out);
    return out.toString();
  }
}
