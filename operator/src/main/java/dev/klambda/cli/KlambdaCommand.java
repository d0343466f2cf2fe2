package dev.klambda.cli;

import dev.klambda.logging.Logging;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.Arrays;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * The klambda command: picocli picks the subcommand and parses its flags, and the mode it names
 * runs with the {@link Options} they make. Help (the command's, generated like every usage) goes to
 * stdout and exits with 0; a usage error is said with the command's name, its usage follows on
 * stderr, and it exits with 2. The modes are handed in, so that this package depends on none.
 */
@Command(
    name = "klambda",
    synopsisSubcommandLabel = "COMMAND",
    description =
        "AWS-Lambda-style functions for Kubernetes, invoked with the AWS Lambda Invoke API; or on this "
            + "machine, from manifest files.",
    subcommands = {
      LocalCommand.class,
      GatewayCommand.class,
      OperatorCommand.class,
      HelpCommand.class
    },
    footer = {"", "'klambda COMMAND --help' tells more."})
public final class KlambdaCommand {
  private static final int USAGE_ERROR = 2;

  /** A mode of klambda: runs with its command's options until it ends, then gives the exit code. */
  @FunctionalInterface
  public interface Mode {
    int run(Options options, PrintStream out, PrintStream err);
  }

  /** The mode each command runs. */
  public record Modes(Mode local, Mode gateway, Mode operator) {}

  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "this help")
  boolean help;

  /** Parses {@code args} and runs the mode they name; returns the process's exit code. */
  public static int run(String[] args, Modes modes, PrintStream out, PrintStream err) {
    CommandLine klambda = line();
    klambda.setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true));
    ParseResult parsed;
    try {
      parsed = klambda.parseArgs(args);
    } catch (ParameterException e) {
      if (e.getCommandLine().getParent() != null && Arrays.asList(args).contains("--help")) {
        // a command's usage was asked for: it comes even beside a flag the command cannot read
        out.print(e.getCommandLine().getUsageMessage());
        return 0;
      }
      return usageError(e.getCommandLine(), e.getMessage(), err);
    }
    Integer helped = CommandLine.executeHelpRequest(parsed);
    if (helped != null) {
      return helped;
    }
    if (!parsed.hasSubcommand()) {
      err.print(klambda.getUsageMessage());
      return USAGE_ERROR;
    }
    CommandLine command = parsed.subcommand().commandSpec().commandLine();
    ModeCommand mode = command.getCommand();
    Options options;
    try {
      options = mode.toOptions();
    } catch (IllegalArgumentException e) {
      return usageError(command, e.getMessage(), err);
    }
    // from here on what happens is logged, in the format asked for
    Logging.use(options.logFormat());
    return switch (mode) {
      case LocalCommand local -> modes.local().run(options, out, err);
      case GatewayCommand gateway -> modes.gateway().run(options, out, err);
      case OperatorCommand operator -> modes.operator().run(options, out, err);
    };
  }

  private static int usageError(CommandLine command, String message, PrintStream err) {
    err.println(command.getCommandSpec().qualifiedName() + ": " + message);
    err.print(command.getUsageMessage());
    return USAGE_ERROR;
  }

  /**
   * klambda and its commands; a flag given twice takes its last value, as a default followed by an
   * override does.
   */
  static CommandLine line() {
    return new CommandLine(new KlambdaCommand())
        .setOverwrittenOptionsAllowed(true)
        .setUsageHelpWidth(110)
        .setColorScheme(CommandLine.Help.defaultColorScheme(CommandLine.Help.Ansi.OFF));
  }

  /** The command {@code name} of klambda, for its usage to name it {@code klambda name}. */
  static CommandLine line(String name) {
    return line().getSubcommands().get(name);
  }

  /** A command that runs a mode, with the options its flags make. */
  sealed interface ModeCommand permits LocalCommand, GatewayCommand, OperatorCommand {
    Options toOptions();
  }
}
