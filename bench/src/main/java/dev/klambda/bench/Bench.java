package dev.klambda.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The benchmarks of local mode. {@code java -jar bench/target/klambda-bench.jar COMMAND}; see
 * bench/README.md.
 */
public final class Bench {
  static final String USAGE =
      """
      usage: java -jar bench/target/klambda-bench.jar COMMAND [options]
        warm          warm round trip of a trivial handler: gateway vs the agent reached directly,
                      p50/p99/throughput at each concurrency (goal 1)
        cold          cold starts through local mode: provided (bash echo), java21, python3.11 (goal 2)
        agent-start   the agent's start-up: process start to /klambda/ready 200 (goal 3)
        all           the three, one after the other
        proc-scan     what the /proc scan the agent did per invocation (until 8b8a92c) costs here
      options:
        --repo DIR              the klambda checkout (default: the one this jar was built in)
        --concurrency LIST      warm: comma-separated (default 1,16)
        --first-warmup-seconds N
                                warm: warm-up of a row that uses environments not used before
                                in its phase, whose JVMs still JIT-compile (default 15)
        --warmup-seconds N      warm: warm-up of the other rows (default 5)
        --seconds N             warm: measured time per configuration (default 10)
        --gateway-nice N        warm, experiment: renice local mode's threads (not its agents')
                                to N once the environments run (negative needs root)
        --samples N             cold, agent-start: samples per runtime / variant (default 20)
        --runtimes LIST         cold: comma-separated (default provided,java21; also python3.11, nodejs22.x)
        --await-quiet-seconds N before each benchmark (and each row of warm), wait up to N s for
                                the machine to be idle (under 15% CPU busy over 1 s); default 0:
                                only warn
        --keep                  keep the work folder (manifests, logs of every process)
      """;

  private Bench() {}

  public static void main(String[] args) throws Exception {
    if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
      System.out.print(USAGE);
      System.exit(args.length == 0 ? 2 : 0);
    }
    String command = args[0];
    Path repo = null;
    List<Integer> concurrency = List.of(1, 16);
    int warmup = 5;
    int firstWarmup = 15;
    Integer gatewayNice = null;
    int seconds = 10;
    int samples = 20;
    List<String> runtimes = List.of("provided", "java21");
    boolean keep = false;
    int awaitQuiet = 0;
    for (int i = 1; i < args.length; i++) {
      String arg = args[i];
      if (arg.equals("--keep")) {
        keep = true;
        continue;
      }
      if (i + 1 >= args.length) {
        fail(arg + " needs a value");
      }
      String value = args[++i];
      switch (arg) {
        case "--repo" -> repo = Path.of(value);
        case "--concurrency" ->
            concurrency =
                Arrays.stream(value.split(",")).map(String::trim).map(Integer::parseInt).toList();
        case "--warmup-seconds" -> warmup = Integer.parseInt(value);
        case "--first-warmup-seconds" -> firstWarmup = Integer.parseInt(value);
        case "--gateway-nice" -> gatewayNice = Integer.parseInt(value);
        case "--seconds" -> seconds = Integer.parseInt(value);
        case "--samples" -> samples = Integer.parseInt(value);
        case "--await-quiet-seconds" -> awaitQuiet = Integer.parseInt(value);
        case "--runtimes" -> runtimes = Arrays.stream(value.split(",")).map(String::trim).toList();
        default -> fail("unknown option " + arg);
      }
    }
    if (!List.of("warm", "cold", "agent-start", "all", "proc-scan").contains(command)) {
      fail("unknown command " + command);
    }
    if (concurrency.stream().anyMatch(c -> c < 1 || c > 200)) {
      fail("--concurrency: 1 to 200 (the direct agents use 127.0.9.1-n)");
    }

    Setup setup = Setup.create(repo);

    System.out.println(Machine.describe());
    System.out.println("repo: " + setup.repo + "\nwork folder: " + setup.work);
    if (command.equals("proc-scan")) {
      List<String> java = new ArrayList<>(List.of(setup.java.toString()));
      java.addAll(Setup.AGENT_JVM_OPTIONS);
      java.addAll(List.of("-cp", setup.benchClassPath.toString(), ProcScan.class.getName()));
      int exit = new ProcessBuilder(java).inheritIO().start().waitFor();
      setup.deleteWork();
      System.exit(exit);
    }
    boolean ok = false;
    List<String> report = new ArrayList<>();
    try {
      if (command.equals("warm") || command.equals("all")) {
        String idle = Machine.idleCheck(awaitQuiet);
        System.out.println(idle);
        List<Load.Result> results =
            WarmLatency.run(
                setup,
                concurrency,
                Duration.ofSeconds(firstWarmup),
                Duration.ofSeconds(warmup),
                Duration.ofSeconds(seconds),
                gatewayNice,
                awaitQuiet);
        report.add(
            "## warm round trip (warm-up "
                + firstWarmup
                + " s for a row with environments not used "
                + "before in its phase, else "
                + warmup
                + " s; measured "
                + seconds
                + " s per row)\n\n"
                + idle
                + "\n\n"
                + WarmLatency.table(results)
                + "\n"
                + WarmLatency.overhead(results));
        System.out.println("\n" + report.getLast());
      }
      if (command.equals("cold") || command.equals("all")) {
        String idle = Machine.idleCheck(awaitQuiet);
        System.out.println(idle);
        long[] cpu = cpuNow();
        List<ColdStart.Result> results = ColdStart.run(setup, runtimes, samples);
        report.add(
            "## cold start through local mode\n\n"
                + idle
                + "\n"
                + busyDuring(cpu)
                + "\n\n"
                + ColdStart.table(results));
        System.out.println("\n" + report.getLast());
      }
      if (command.equals("agent-start") || command.equals("all")) {
        String idle = Machine.idleCheck(awaitQuiet);
        System.out.println(idle);
        long[] cpu = cpuNow();
        List<AgentStartup.Result> results = AgentStartup.run(setup, samples);
        report.add(
            "## agent start-up (process start to /klambda/ready 200)\n\n"
                + idle
                + "\n"
                + busyDuring(cpu)
                + "\n\n"
                + AgentStartup.table(results));
        System.out.println("\n" + report.getLast());
      }
      ok = true;
    } finally {
      Procs.stopAll();
      if (ok && !keep) {
        setup.deleteWork();
      } else {
        System.out.println("work folder kept (logs of every process): " + setup.work);
      }
    }
    if (report.size() > 1) {
      System.out.println("\n# summary\n");
      report.forEach(r -> System.out.println(r + "\n"));
    }
  }

  /**
   * Machine CPU use since {@code start} (a machineCpu reading plus ownTreeTicks), ours and others'.
   */
  private static String busyDuring(long[] start) {
    long[] now = Procs.machineCpu();
    long ours = Procs.ownTreeTicks() - start[2];
    double total = now[1] - start[1];
    double busy = 100.0 * (now[0] - start[0]) / total;
    double others = Math.max(0, busy - 100.0 * ours / total);
    return String.format(
        java.util.Locale.ROOT,
        "machine during the run: %.0f%% CPU busy, of which %.0f%% not "
            + "the benchmark's processes; load average %s",
        busy,
        others,
        Machine.loadAverage());
  }

  private static long[] cpuNow() {
    long[] m = Procs.machineCpu();
    return new long[] {m[0], m[1], Procs.ownTreeTicks()};
  }

  private static void fail(String message) {
    System.err.println("klambda-bench: " + message);
    System.err.print(USAGE);
    System.exit(2);
  }
}
