package dev.klambda;

import dev.klambda.local.LocalMode;
import java.util.Arrays;
import java.util.List;

/** The klambda command: {@code klambda local ...}. */
public final class Klambda {
  private static final String USAGE = """
      usage: klambda COMMAND [options]
        local    serve Function manifests on this machine, environments as local processes
      'klambda local --help' tells more.
      """;

  private Klambda() {}

  public static void main(String[] args) {
    List<String> rest = Arrays.asList(args).subList(Math.min(1, args.length), args.length);
    int exit = switch (args.length == 0 ? "" : args[0]) {
      case "local" -> rest.contains("--help") ? help() : LocalMode.run(rest, System.out, System.err);
      case "--help", "-h", "help" -> {
        System.out.print(USAGE);
        yield 0;
      }
      default -> {
        System.err.print(USAGE);
        yield 2;
      }
    };
    System.exit(exit);
  }

  private static int help() {
    System.out.print(dev.klambda.local.LocalMode.usage());
    return 0;
  }
}
