package dev.klambda.environments;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The agent as local mode runs it: {@code klambda-agent.jar} and {@code runtimes/} in one folder,
 * by default {@code agent/} next to klambda.jar (the build puts it there).
 */
public record AgentDistribution(Path home) {
  public static final String JAR = "klambda-agent.jar";

  /** {@code KLAMBDA_AGENT_HOME} if set, else {@code agent/} beside the code of klambda. */
  public static AgentDistribution locate(String override) throws IOException {
    Path home;
    if (override != null && !override.isBlank()) {
      home = Path.of(override);
    } else {
      try {
        Path code =
            Path.of(
                AgentDistribution.class
                    .getProtectionDomain()
                    .getCodeSource()
                    .getLocation()
                    .toURI());
        home = code.getParent().resolve("agent");
      } catch (URISyntaxException e) {
        throw new IOException(e);
      }
    }
    if (!Files.isRegularFile(home.resolve(JAR))) {
      throw new IOException(
          "the klambda agent is not at "
              + home.resolve(JAR)
              + ": build with 'mvn install' or set KLAMBDA_AGENT_HOME to the folder holding "
              + JAR);
    }
    return new AgentDistribution(home);
  }

  public Path jar() {
    return home.resolve(JAR);
  }
}
