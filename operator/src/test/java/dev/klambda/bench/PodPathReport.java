package dev.klambda.bench;

import dev.klambda.agent.Docker;
import dev.klambda.bench.PodPathBenchmark.ColdSample;
import dev.klambda.bench.PodPathBenchmark.Result;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToLongFunction;
import java.util.stream.Collectors;

/** {@link PodPathBenchmark}'s results as Markdown: the machine, then tables by runtime × memory. */
final class PodPathReport {
  private final String image;
  private final String imageId;
  private final String loadBefore;

  /** Cold starts claimed a warm-pool member: the claim takes the place of the docker runs. */
  private final boolean pooled;

  private final Map<String, String> machine = machine();
  private final List<Result> results = new ArrayList<>();
  private long[] baseline = new long[0];

  PodPathReport(String image, String imageId, String loadBefore, boolean pooled) {
    this.pooled = pooled;
    this.image = image;
    this.imageId = imageId;
    this.loadBefore = loadBefore;
  }

  void baseline(long[] runNanos) {
    baseline = runNanos;
  }

  void add(Result result) {
    results.add(result);
  }

  String markdown(String loadAfter) {
    StringBuilder md = new StringBuilder("## PodPathBenchmark\n\n");
    md.append("Image `").append(image).append("` (").append(imageId).append(")\n\n");
    machine.forEach((k, v) -> md.append("- ").append(k).append(": ").append(v).append('\n'));
    md.append("- load average (1, 5, 15 min) before: ")
        .append(loadBefore)
        .append("; after: ")
        .append(loadAfter)
        .append('\n');
    long[] base = sorted(baseline);
    md.append(
        String.format(
            Locale.ROOT,
            "- docker baseline (start of a Pod whose one container only sleeps, n=%d): "
                + "median %s ms, min %s, max %s%n%n",
            base.length,
            ms(HandledLog.percentile(base, 50)),
            ms(base.length == 0 ? -1 : base[0]),
            ms(base.length == 0 ? -1 : base[base.length - 1])));
    coldTable(md);
    warmTable(md);
    timelineTable(md);
    return md.toString();
  }

  private void coldTable(StringBuilder md) {
    md.append(
            pooled
                ? "### Cold start from a warm pool (the claim → first answer), ms\n\n"
                : "### Cold start (just before the first docker run → first answer), ms\n\n")
        .append(
            "| runtime | MB | CPU m | n | failed | cold p50 | min | max | "
                + (pooled ? "claim" : "docker run")
                + " | → Init ended | first invoke | agent Init Duration | CPU used | CPU throttled | stop "
                + "| load before → after |\n")
        .append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (Result r : results) {
      List<ColdSample> cold = r.cold().stream().filter(ColdSample::succeeded).toList();
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | %d | %d | %d | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s → %s |%n",
              r.runtime(),
              r.memoryMB(),
              r.cpuMillis(),
              cold.size(),
              r.cold().size() - cold.size(),
              ms(median(cold, ColdSample::totalNanos)),
              ms(min(cold, ColdSample::totalNanos)),
              ms(max(cold, ColdSample::totalNanos)),
              ms(median(cold, ColdSample::runNanos)),
              ms(median(cold, ColdSample::readyNanos)),
              ms(median(cold, ColdSample::invokeNanos)),
              ms(median(cold, s -> s.initMicros() * 1000)),
              ms(median(cold, s -> s.cpu() == null ? -1 : s.cpu().usageNanos())),
              ms(median(cold, s -> s.cpu() == null ? -1 : s.cpu().throttledNanos())),
              ms(median(cold, ColdSample::stopNanos)),
              r.loadBefore(),
              r.loadAfter()));
    }
    md.append(
        "\nMedians over the successful samples (n), but min and max; failed: first answer an Init error "
            + "(see the timeline). "
            + (pooled
                ? "The member was started, claimable and left idle until the machine was quiet before each sample; "
                    + "claim: until `AgentClient.claim` (the code and variables handed over) returned; CPU used and "
                    + "throttled count from the claim on"
                : "docker run: until the last `docker run -d` returned")
            + "; → Init ended: from then until `AgentClient.awaitInitEnded` returned; first invoke: the "
            + "first `AgentClient.invoke`. agent Init Duration: Klambda-Init-Duration-Micros of the first answer. "
            + "CPU used / throttled: the Pod's containers' cgroups (cpuacct.usage, cpu.stat throttled_time) "
            + "read right after the first answer; throttled time is summed over the CPUs' run queues, so it can "
            + "exceed the wall time. stop: `docker stop` with the grace period.\n\n");
  }

  private void warmTable(StringBuilder md) {
    md.append("### Warm (sequential invocations on one environment), ms\n\n")
        .append(
            "| runtime | MB | n | client p50 | client p99 | client max | overhead p50 | overhead p90 "
                + "| overhead p99 | CPU per invocation | throttled per invocation | of which live processes "
                + "| memory (docker stats) |\n")
        .append("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (Result r : results) {
      if (r.warm() == null) {
        continue;
      }
      long[] client = sorted(r.warm().clientNanos());
      long[] overhead = sorted(r.warm().overheadNanos());
      int n = Math.max(1, client.length);
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | %d | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |%n",
              r.runtime(),
              r.memoryMB(),
              client.length,
              ms(HandledLog.percentile(client, 50)),
              ms(HandledLog.percentile(client, 99)),
              ms(client.length == 0 ? -1 : client[client.length - 1]),
              ms(HandledLog.percentile(overhead, 50)),
              ms(HandledLog.percentile(overhead, 90)),
              ms(HandledLog.percentile(overhead, 99)),
              r.warm().cpu() == null ? "?" : ms(r.warm().cpu().usageNanos() / n),
              r.warm().cpu() == null ? "?" : ms(r.warm().cpu().throttledNanos() / n),
              r.warm().processes().stream()
                  .map(p -> p.name() + " " + ms(p.cpuNanos() / n))
                  .collect(Collectors.joining("; ")),
              r.warm().memoryUse()));
    }
    md.append(
        "\nclient: `AgentClient.invoke` as the gateway calls it; overhead: client time − the agent's "
            + "Duration (Klambda-Duration-Micros) of that invocation; nearest-rank percentiles. CPU and throttled "
            + "per invocation: the Pod's cgroups over the whole warm run, divided by n; of which live processes: "
            + "the CPU of those alive before and after (the rest went to short-lived ones, e.g. a bootstrap's "
            + "curl), at 10 ms resolution.\n\n");
  }

  private void timelineTable(StringBuilder md) {
    md.append("### Cold start timeline per sample, ms from just before the first docker run\n\n")
        .append(
            "| runtime | MB | # | outcome | prepare | created | started | first output | docker run returned "
                + "| Init ended | answered | Init Duration | first Duration | CPU used | periods throttled "
                + "| processes: start, CPU |\n")
        .append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (Result r : results) {
      for (int i = 0; i < r.cold().size(); i++) {
        ColdSample s = r.cold().get(i);
        md.append(
            String.format(
                Locale.ROOT,
                "| %s | %d | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |%n",
                r.runtime(),
                r.memoryMB(),
                i + 1,
                s.outcome(),
                ms(s.prepareNanos()),
                ms(s.createdAt()),
                ms(s.startedAt()),
                ms(s.firstOutputAt()),
                ms(s.runNanos()),
                ms(s.runNanos() + s.readyNanos()),
                ms(s.totalNanos()),
                ms(s.initMicros() * 1000),
                ms(s.durationMicros() * 1000),
                s.cpu() == null ? "?" : ms(s.cpu().usageNanos()),
                s.cpu() == null ? "?" : s.cpu().throttledPeriods() + "/" + s.cpu().periods(),
                s.processes().stream()
                    .map(p -> p.name() + " " + ms(p.startNanos()) + ", " + ms(p.cpuNanos()))
                    .collect(Collectors.joining("; "))));
      }
    }
    md.append(
        "\nprepare: DockerPod.create (volume folders, code files), before the clock starts. created, "
            + "started: the first container's Created and State.StartedAt (`docker inspect`). first output: the "
            + "first line any container printed (`docker logs --timestamps`, stamped by docker on receipt). "
            + "processes: those alive after the first answer (cgroup.procs, /proc start time at 10 ms "
            + "resolution, utime + stime).\n");
  }

  /** nproc, CPU model, memory, kernel, JDK, docker: what the numbers depend on. */
  private static Map<String, String> machine() {
    Map<String, String> machine = new LinkedHashMap<>();
    machine.put("nproc", Integer.toString(Runtime.getRuntime().availableProcessors()));
    machine.put("CPU", command("sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"));
    machine.put(
        "memory", command("sh", "-c", "grep MemTotal /proc/meminfo | tr -s ' ' | cut -d' ' -f2-"));
    machine.put("kernel", command("uname", "-r"));
    machine.put(
        "JDK (test JVM)",
        System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
    machine.put(
        "docker",
        command(
                "docker",
                "version",
                "--format",
                "client {{.Client.Version}}, engine {{.Server.Version}}")
            + "; "
            + command(
                "docker",
                "info",
                "--format",
                "storage {{.Driver}}, cgroup v{{.CgroupVersion}} ({{.CgroupDriver}}), runtime {{.DefaultRuntime}}"));
    return machine;
  }

  private static String command(String... command) {
    Docker.Result result = Docker.run(Duration.ofSeconds(30), null, command);
    return (result.stdout() + result.stderr()).strip();
  }

  private static long median(List<ColdSample> samples, ToLongFunction<ColdSample> value) {
    return HandledLog.percentile(sorted(samples.stream().mapToLong(value).toArray()), 50);
  }

  private static long min(List<ColdSample> samples, ToLongFunction<ColdSample> value) {
    return samples.stream().mapToLong(value).min().orElse(-1);
  }

  private static long max(List<ColdSample> samples, ToLongFunction<ColdSample> value) {
    return samples.stream().mapToLong(value).max().orElse(-1);
  }

  private static long[] sorted(long[] values) {
    long[] copy = values.clone();
    Arrays.sort(copy);
    return copy;
  }

  /** Nanoseconds as milliseconds: one decimal under 100 ms, none above; "–" for unknown. */
  private static String ms(long nanos) {
    if (nanos < 0) {
      return "–";
    }
    double ms = nanos / 1e6;
    return ms < 100
        ? String.format(Locale.ROOT, "%.1f", ms)
        : String.format(Locale.ROOT, "%.0f", ms);
  }
}
