package dev.klambda.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What {@code klambda ...} runs, prints and exits with: picocli dispatches, the modes are
 * stand-ins.
 */
class KlambdaCommandTest {
  private final List<String> ran = new ArrayList<>();
  private final List<Options> given = new ArrayList<>();
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int klambda(String... args) {
    KlambdaCommand.Modes modes =
        new KlambdaCommand.Modes(mode("local", 3), mode("gateway", 4), mode("operator", 5));
    return KlambdaCommand.run(
        args,
        modes,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private KlambdaCommand.Mode mode(String name, int exit) {
    return (options, out, err) -> {
      ran.add(name);
      given.add(options);
      return exit;
    };
  }

  private String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void eachCommandRunsItsModeWithItsOptionsAndEndsWithItsExitCode() {
    assertThat(klambda("gateway", "--auth", "none", "--port", "8081")).isEqualTo(4);
    assertThat(klambda("local", "--port", "0", "functions.yaml")).isEqualTo(3);
    assertThat(klambda("operator")).isEqualTo(5);

    assertThat(ran).containsExactly("gateway", "local", "operator");
    assertThat(given.get(0).port()).isEqualTo(8081);
    assertThat(given.get(1).bind()).as("local mode's default").isEqualTo("127.0.0.1");
    assertThat(given.get(2).leaderElection()).isFalse();
    assertThat(err()).isEmpty();
  }

  @Test
  void helpIsGeneratedAndGoesToStdout() {
    assertThat(klambda("--help")).isZero();
    assertThat(out())
        .contains(
            "Usage: klambda [-h] COMMAND",
            "  local ",
            "  gateway ",
            "  operator ",
            "'klambda COMMAND --help' tells more.");
    String klambdaUsage = out();
    out.reset();

    assertThat(klambda("help")).isZero();
    assertThat(out()).isEqualTo(klambdaUsage);
    out.reset();

    assertThat(klambda("gateway", "--help")).isZero();
    assertThat(out()).isEqualTo(Options.GATEWAY_USAGE).startsWith("Usage: klambda gateway ");
    out.reset();

    assertThat(klambda("local", "--port", "eighty", "--help"))
        .as("asked for, beside a flag it cannot read")
        .isZero();
    assertThat(out()).isEqualTo(Options.LOCAL_USAGE);
    assertThat(Options.LOCAL_USAGE)
        .as("--help is not one of the listed flags")
        .doesNotContain("--help");
    assertThat(ran).isEmpty();
    assertThat(err()).isEmpty();
  }

  @Test
  void aUsageErrorNamesTheCommandThenItsUsageAndExitsWithTwo() {
    assertThat(klambda("local", "--bad", "functions.yaml")).isEqualTo(2);
    assertThat(err()).isEqualTo("klambda local: Unknown option: '--bad'\n" + Options.LOCAL_USAGE);
    err.reset();

    assertThat(klambda("local")).as("a rule of the command's own").isEqualTo(2);
    assertThat(err())
        .isEqualTo(
            "klambda local: give at least one manifest file or folder\n" + Options.LOCAL_USAGE);
    err.reset();

    assertThat(klambda("serve")).isEqualTo(2);
    assertThat(err())
        .startsWith("klambda: Unmatched argument at index 0: 'serve'")
        .contains("Usage: klambda");
    err.reset();

    assertThat(klambda()).as("no command").isEqualTo(2);
    assertThat(err()).startsWith("Usage: klambda [-h] COMMAND");
    assertThat(ran).isEmpty();
    assertThat(out()).isEmpty();
  }
}
