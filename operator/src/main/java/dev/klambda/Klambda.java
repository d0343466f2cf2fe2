package dev.klambda;

import dev.klambda.cli.Options;
import dev.klambda.local.LocalMode;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;

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
      case "gateway" -> rest.contains("--help") ? help(Options.GATEWAY_USAGE) : GatewayMode.run(rest, System.out, System.err);
      case "operator" -> rest.contains("--help") ? help(Options.OPERATOR_USAGE) : OperatorMode.run(rest, System.out, System.err);
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

  /** The innermost cause: fabric8's outer messages ("An error has occurred.") say nothing. */
  static String rootCause(Throwable e) {
    Throwable cause = e;
    while (cause.getCause() != null && cause.getCause() != cause) {
      cause = cause.getCause();
    }
    return cause == e ? String.valueOf(e.getMessage()) : e.getMessage() + " (" + cause + ")";
  }

  /** Blocks the main thread; the JVM ends through SIGTERM / Ctrl-C and the shutdown hooks. */
  public static int waitForShutdown() {
    try {
      new CountDownLatch(1).await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }
}
