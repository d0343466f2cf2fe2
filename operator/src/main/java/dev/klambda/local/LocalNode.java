package dev.klambda.local;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Local mode runs nodejs22.x on this machine's {@code node} (the agents get klambda's PATH): a
 * function is refused when loaded if there is none or it is too old, saying what it needs, rather
 * than failing at its first invocation. Asked once per klambda process.
 */
final class LocalNode {
  static final int REQUIRED_MAJOR = 22;
  private static final Pattern VERSION = Pattern.compile("v(\\d+)\\.\\d+\\.\\d+");

  private LocalNode() {}

  /** Why a function of {@code runtime} cannot run here, or null when it can (or is not Node.js). */
  static String problem(String runtime) {
    return "nodejs22.x".equals(runtime) ? Found.PROBLEM : null;
  }

  /** What {@code node --version} answered (null: no node to run), as a problem or null. */
  static String judge(String version) {
    String needs =
        "nodejs22.x runs on this machine's Node.js, which must be "
            + REQUIRED_MAJOR
            + " or later as 'node' on the PATH";
    if (version == null) {
      return needs + " (there is none)";
    }
    Matcher m = VERSION.matcher(version.trim());
    if (!m.matches()) {
      return needs + " ('node --version' said '" + version.trim() + "')";
    }
    return Integer.parseInt(m.group(1)) < REQUIRED_MAJOR
        ? needs + " (found " + version.trim() + ")"
        : null;
  }

  /** The machine's answer, asked on first use. */
  private static final class Found {
    static final String PROBLEM = judge(nodeVersion());

    private static String nodeVersion() {
      try {
        Process node = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
        node.getOutputStream().close();
        String out = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return node.waitFor(10, TimeUnit.SECONDS) && node.exitValue() == 0 ? out : null;
      } catch (IOException e) {
        return null;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      }
    }
  }
}
