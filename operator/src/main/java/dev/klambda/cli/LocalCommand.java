package dev.klambda.cli;

import dev.klambda.auth.AuthMethods;
import dev.klambda.function.SizingPolicy;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "local",
    description = {
      "Serves the Functions in the given manifests (folders are "
          + "scanned for *.yaml / *.yml) over the AWS Lambda Invoke API; environments are local processes."
    })
final class LocalCommand implements KlambdaCommand.ModeCommand {
  @Mixin CommonFlags common;
  @Mixin ServingFlags serving;

  @Option(
      names = "--bind",
      paramLabel = "ADDRESS",
      defaultValue = "127.0.0.1",
      description = "address to listen on (default ${DEFAULT-VALUE})")
  String bind;

  @Option(
      names = "--work-dir",
      paramLabel = "DIR",
      description = "where code and /tmp of environments go (default: a new temp folder)")
  Path workDir;

  @Option(
      names = "--usage-file",
      paramLabel = "FILE",
      defaultValue = "${sys:user.home}/.klambda/usage.json",
      description = "the usage ledger (default ~/.klambda/usage.json)")
  Path usageFile;

  @Option(
      names = "--auth",
      paramLabel = "none|sigv4",
      defaultValue = "none",
      description =
          "none (default): anyone who reaches the loopback invokes; sigv4: requests must be signed "
              + "with an access key from a Secret of type klambda.dev/access-key in the manifests, and a key invokes "
              + "the functions of its Secret's namespace")
  String auth;

  @Parameters(
      paramLabel = "FILE_OR_DIR",
      arity = "0..*",
      description = "manifests of Functions and more")
  List<Path> manifests = List.of();

  @Override
  public Options toOptions() {
    common.check();
    serving.check();
    if (manifests.isEmpty()) {
      throw new IllegalArgumentException("give at least one manifest file or folder");
    }
    Set<AuthMethods> methods = AuthMethods.parse("--auth", auth);
    if (methods.contains(AuthMethods.KUBERNETES)) {
      throw new IllegalArgumentException(
          "--auth: local mode has no Kubernetes API server to review tokens; "
              + "use sigv4 or none");
    }
    return new Options.Builder(bind, common)
        .serving(serving, Options.warmPools(serving, "default", SizingPolicy.DEFAULT, Set.of()))
        .local(workDir, manifests, usageFile)
        .auth(methods, serving.auditLog)
        .build();
  }
}
