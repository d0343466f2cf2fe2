package dev.klambda.testing;

import dev.klambda.agent.Docker;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A user-defined docker bridge network that plays the cluster's Pod network for {@link DockerPod}:
 * every Pod gets a fixed address from it, known before its first container runs (as the gateway
 * learns a Pod IP from the API server, not by asking the container), and the host reaches that
 * address directly over the bridge. Docker only takes {@code --ip} on a network whose subnet was
 * given, so a free /24 is searched for among 172.28.0.0–172.28.255.0.
 */
public final class DockerNetwork implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DockerNetwork.class);
  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);

  private final String name;
  private final String prefix;
  private final Set<Integer> leased = new HashSet<>();
  private int next = 2; // .1 is the bridge's (the host's) own address

  private DockerNetwork(String name, String prefix) {
    this.name = name;
    this.prefix = prefix;
  }

  /** Creates a network labelled {@link DockerPod#LABEL}{@code =network}. */
  public static DockerNetwork create() {
    String name = "klambda-pods-" + UUID.randomUUID().toString().substring(0, 8);
    String lastError = "";
    for (int third = 0; third < 256; third++) {
      String prefix = "172.28." + third + ".";
      Docker.Result created =
          Docker.run(
              COMMAND_TIMEOUT,
              null,
              "docker",
              "network",
              "create",
              "--driver",
              "bridge",
              "--subnet",
              prefix + "0/24",
              "--label",
              DockerPod.LABEL + "=network",
              name);
      if (created.exitCode() == 0) {
        LOG.info("docker network {} on {}0/24", name, prefix);
        return new DockerNetwork(name, prefix);
      }
      lastError = created.stderr().strip();
      if (!lastError.contains("overlap")) {
        break; // not a taken subnet: trying others will not help
      }
    }
    throw new IllegalStateException("cannot create a docker network: " + lastError);
  }

  public String name() {
    return name;
  }

  /** An address no other live Pod on this network has. */
  public synchronized String lease() {
    for (int tried = 0; tried < 253; tried++) {
      int host = next;
      next = next == 254 ? 2 : next + 1;
      if (leased.add(host)) {
        return prefix + host;
      }
    }
    throw new IllegalStateException("network " + name + " has no free address");
  }

  public synchronized void release(String address) {
    leased.remove(Integer.parseInt(address.substring(prefix.length())));
  }

  @Override
  public void close() {
    Docker.Result removed = Docker.run(COMMAND_TIMEOUT, null, "docker", "network", "rm", name);
    if (removed.exitCode() != 0) {
      LOG.warn("docker network rm {}: {}", name, removed.stderr().strip());
    }
  }
}
