package dev.klambda.bench;

import java.io.IOException;
import java.net.ConnectException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Goal 3: the agent's start-up alone: from starting its process (the command and JVM options of
 * local mode) to GET /klambda/ready answering 200, with a bootstrap that calls /next at once. The
 * harness polls the invoke port every millisecond until it accepts a connection ("listening"), then
 * waits on /klambda/ready?waitMs=5000 ("ready"). Runs one after the other, nothing else of the
 * benchmark running. For context: the same with a curl bootstrap and with the Java echo runtime,
 * and a bare JVM with the agent's options starting and exiting.
 */
final class AgentStartup {
  /** Pure bash, no process started: opens the Runtime API socket itself and waits on /next. */
  static final String BASH_NEXT =
      """
      #!/bin/bash
      # klambda bench: call /next at once, without starting any process (bash's /dev/tcp)
      exec 3<>"/dev/tcp/${AWS_LAMBDA_RUNTIME_API%:*}/${AWS_LAMBDA_RUNTIME_API##*:}"
      printf 'GET /2018-06-01/runtime/invocation/next HTTP/1.1\\r\\nHost: %s\\r\\n\\r\\n' "$AWS_LAMBDA_RUNTIME_API" >&3
      while read -r line <&3; do :; done
      """;

  static final String CURL_NEXT =
      """
      #!/bin/sh
      # klambda bench: one curl to /next
      exec curl -sS "http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/invocation/next"
      """;

  /** One run: process start to listening, and to ready. */
  record Run(long listeningNanos, long readyNanos) {}

  record Result(String variant, List<Run> runs) {}

  private AgentStartup() {}

  /** One way to start: a name, the task root (null: a bare JVM) and extra JVM options. */
  private record Variant(String label, String name, Path taskRoot, List<String> jvmOptions) {}

  /**
   * Round-robin over the variants (one run of each, then the next round), so that a disturbance of
   * the machine hits all of them alike; the first round is not counted.
   */
  static List<Result> run(Setup setup, int samples) throws IOException, InterruptedException {
    Path bash = Setup.writeTaskRoot(setup.work.resolve("start-bash"), BASH_NEXT);
    Path curl = Setup.writeTaskRoot(setup.work.resolve("start-curl"), CURL_NEXT);
    Path java = Setup.writeTaskRoot(setup.work.resolve("start-java"), setup.echoRuntimeBootstrap());
    List<Variant> variants = new ArrayList<>();
    variants.add(
        new Variant("bare JVM, agent options (start + exit, no agent)", "bare", null, List.of()));
    variants.add(
        new Variant("agent, bash bootstrap calling /next (no fork)", "bash", bash, List.of()));
    variants.add(new Variant("agent, bootstrap = one curl to /next", "curl", curl, List.of()));
    variants.add(new Variant("agent, Java echo runtime bootstrap", "java", java, List.of()));
    // experiments, not local mode's set-up: what an archive of the agent's own classes would save
    Path archive = setup.work.resolve("agent-cds.jsa");
    List<String> cds = List.of("-XX:+AutoCreateSharedArchive", "-XX:SharedArchiveFile=" + archive);
    once(setup, bash, cds, "cds-training");
    variants.add(
        new Variant(
            "experiment: + AppCDS archive of the agent, bash bootstrap", "bash-cds", bash, cds));
    if (Runtime.version().feature() >= 25) {
      Path aot = setup.work.resolve("agent.aot");
      once(setup, bash, List.of("-XX:AOTCacheOutput=" + aot), "aot-training");
      variants.add(
          new Variant(
              "experiment: + JDK 25 AOT cache of the agent, bash bootstrap",
              "bash-aot",
              bash,
              List.of("-XX:AOTCache=" + aot)));
    }
    List<List<Run>> runs = new ArrayList<>();
    variants.forEach(v -> runs.add(new ArrayList<>()));
    int host = 0;
    for (int round = 0; round <= samples; round++) {
      for (int v = 0; v < variants.size(); v++) {
        Variant variant = variants.get(v);
        Run run =
            variant.taskRoot() == null
                ? bareJvm(setup)
                : once(
                    setup,
                    variant.taskRoot(),
                    variant.jvmOptions(),
                    variant.name(),
                    "127.0.10." + (host++ % 250 + 1));
        if (round > 0) {
          runs.get(v).add(run);
        }
      }
      if (round > 0 && round % 5 == 0) {
        System.out.printf("agent-start: %d of %d rounds%n", round, samples);
      }
    }
    List<Result> results = new ArrayList<>();
    for (int v = 0; v < variants.size(); v++) {
      results.add(new Result(variants.get(v).label(), runs.get(v)));
    }
    return results;
  }

  private static Run once(Setup setup, Path taskRoot, List<String> jvmOptions, String name)
      throws IOException, InterruptedException {
    return once(setup, taskRoot, jvmOptions, name, "127.0.11.1");
  }

  private static Run bareJvm(Setup setup) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(setup.java.toString());
    command.addAll(Setup.AGENT_JVM_OPTIONS);
    command.addAll(List.of("-cp", setup.benchClassPath.toString(), Noop.class.getName()));
    long start = System.nanoTime();
    Process p = Procs.start(command, null, setup.log("start-bare-jvm"));
    p.waitFor();
    long took = System.nanoTime() - start;
    Procs.stop(p, Duration.ZERO);
    return new Run(took, took);
  }

  /** One agent start: to listening, to ready; then the agent is stopped (not timed). */
  private static Run once(
      Setup setup, Path taskRoot, List<String> jvmOptions, String name, String host)
      throws IOException, InterruptedException {
    long start = System.nanoTime();
    Setup.Agent agent =
        setup.startAgent(host, "bench-start", taskRoot, jvmOptions, "start-" + name);
    try {
      long listening = 0;
      long deadline = start + Duration.ofSeconds(30).toNanos();
      while (true) {
        if (System.nanoTime() > deadline) {
          throw new IOException("agent not ready within 30 s: " + Procs.tail(agent.log(), 20));
        }
        try (HttpConn conn = new HttpConn(host, Setup.INVOKE_PORT, 10_000)) {
          conn.connect();
          if (listening == 0) {
            listening = System.nanoTime() - start;
          }
          HttpConn.Response r = conn.send("GET", Setup.READY_PATH, "", null);
          if (r.status() == 200) {
            return new Run(listening, System.nanoTime() - start);
          }
          if (r.status() == 500) {
            throw new IOException("Init failed: " + r.text());
          }
        } catch (ConnectException notYet) {
          if (!agent.process().isAlive()) {
            throw new IOException("agent exited: " + Procs.tail(agent.log(), 20));
          }
          Thread.sleep(1);
        }
      }
    } finally {
      agent.stop();
    }
  }

  static String table(List<Result> results) {
    List<List<String>> rows = new ArrayList<>();
    for (Result r : results) {
      long[] listening = r.runs().stream().mapToLong(Run::listeningNanos).sorted().toArray();
      long[] ready = r.runs().stream().mapToLong(Run::readyNanos).sorted().toArray();
      boolean bare = r.variant().startsWith("bare");
      rows.add(
          List.of(
              r.variant(),
              Integer.toString(ready.length),
              bare ? "-" : Stats.ms1(Stats.percentile(listening, 0.5)),
              Stats.ms1(Stats.percentile(ready, 0.5)),
              Stats.ms1(Stats.percentile(ready, 0.9)),
              Stats.ms1(Stats.percentile(ready, 1.0))));
    }
    return Stats.table(
        List.of(
            "variant", "runs", "listening p50 ms", "ready p50 ms", "ready p90 ms", "ready max ms"),
        rows);
  }
}
