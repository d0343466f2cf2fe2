package dev.klambda;

import dev.klambda.cli.Options;
import dev.klambda.local.LocalMode;
import java.util.Arrays;
import java.util.List;

/** The klambda command: {@code klambda local ...}, {@code klambda gateway ...} or {@code klambda operator ...}. */
public final class Klambda {
  private static final String USAGE = """
      usage: klambda COMMAND [options]
        local      serve Function manifests on this machine, environments as local processes
        gateway    a replica of a cluster's data plane: the Invoke API, environments as Pods
        operator   a cluster's control plane: Function status, event source pollers
      'klambda COMMAND --help' tells more.
      """;

  private Klambda() {}

  public static void main(String[] args) {
    List<String> rest = Arrays.asList(args).subList(Math.min(1, args.length), args.length);
    String command = args.length == 0 ? "" : args[0];
    int exit = switch (command) {
      case "local" -> rest.contains("--help") ? help(Options.LOCAL_USAGE) : LocalMode.run(rest, System.out, System.err);
      case "gateway" -> rest.contains("--help") ? help(Options.GATEWAY_USAGE) : GatewayMode.run(rest, System.err);
      case "operator" -> rest.contains("--help") ? help(Options.OPERATOR_USAGE) : OperatorMode.run(rest, System.err);
      case "--help", "-h", "help" -> help(USAGE);
      default -> {
        System.err.print(USAGE);
        yield 2;
      }
    };
    System.exit(exit);
  }

  private static int help(String usage) {
    System.out.print(usage);
    return 0;
  }
}
