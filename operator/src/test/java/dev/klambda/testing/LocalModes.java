package dev.klambda.testing;

import dev.klambda.cli.Options;
import dev.klambda.local.LocalMode;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Local mode as the tests start it: ports the system picks, its work folder and usage file in the
 * test's own folder, then the test's flags and manifests.
 */
public final class LocalModes {
  private LocalModes() {}

  /** Its output to {@code out}, its errors to the test's stderr. */
  public static LocalMode start(Path dir, PrintStream out, String... flagsAndManifests)
      throws IOException {
    return start(dir, out, System.err, flagsAndManifests);
  }

  public static LocalMode start(
      Path dir, PrintStream out, PrintStream err, String... flagsAndManifests) throws IOException {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--port",
                "0",
                "--metrics-port",
                "0",
                "--work-dir",
                dir.resolve("work").toString(),
                "--usage-file",
                dir.resolve("usage.json").toString()));
    args.addAll(List.of(flagsAndManifests));
    return LocalMode.start(Options.parseLocal(args), out, err);
  }

  /** For a test that does not read local mode's output. */
  public static PrintStream discarded() {
    return new PrintStream(OutputStream.nullOutputStream());
  }
}
