package dev.klambda;

import dev.klambda.cli.KlambdaCommand;
import dev.klambda.local.LocalMode;

/**
 * The klambda command: {@code klambda local ...}, {@code klambda gateway ...} or {@code klambda
 * operator ...}.
 */
public final class Klambda {
  private Klambda() {}

  public static void main(String[] args) {
    System.exit(
        KlambdaCommand.run(
            args,
            new KlambdaCommand.Modes(LocalMode::run, GatewayMode::run, OperatorMode::run),
            System.out,
            System.err));
  }
}
