package dev.klambda.kubelet;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The session the agent leads ({@code setsid}) stands in for its container's PID namespace: the
 * runtime and extensions it starts live in it, and die with it.
 */
final class AgentSession {
  private static final Logger LOG = LoggerFactory.getLogger(AgentSession.class);

  private AgentSession() {}

  /** SIGKILL to the agent and everything of its session. */
  static void kill(Process agent) {
    Set<ProcessHandle> tree = new LinkedHashSet<>();
    tree.add(agent.toHandle());
    tree.addAll(leftovers(agent));
    tree.forEach(ProcessHandle::destroyForcibly);
  }

  /** What the exited agent leaves behind dies with it, as in a container's PID namespace. */
  static void killLeftovers(Process agent, String podKey) {
    Set<ProcessHandle> left = leftovers(agent);
    if (left.isEmpty()) {
      return;
    }
    LOG.info(
        "kubelet fixture: pod {}: killing what the agent left running: {}",
        podKey,
        left.stream().map(p -> p.pid() + " " + p.info().commandLine().orElse("?")).toList());
    left.forEach(ProcessHandle::destroyForcibly);
    for (ProcessHandle p : left) {
      try {
        p.onExit().get(5, TimeUnit.SECONDS);
      } catch (Exception ignored) {
        // gone or stuck: nothing more to do
      }
    }
  }

  /**
   * SIGKILL to whatever still works in the Pod's folder: the function's processes leave the
   * launcher's session (each runs in one of its own) and, once the launcher has exited, its tree
   * too; their working folder, the Pod's task root, still tells they belong to the Pod, as a
   * container's PID namespace would. The agent, which works there too, is spared: it is the other
   * container's.
   */
  static void killWorkingIn(Path podDir, Process agent, String podKey) {
    Path dir = podDir.toAbsolutePath();
    List<ProcessHandle> left;
    try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
      left =
          all.filter(p -> (agent == null || p.pid() != agent.pid()) && workingIn(p.pid(), dir))
              .toList();
    }
    if (left.isEmpty()) {
      return;
    }
    LOG.info(
        "kubelet fixture: pod {}: killing what still runs in it: {}",
        podKey,
        left.stream().map(p -> p.pid() + " " + p.info().commandLine().orElse("?")).toList());
    left.forEach(ProcessHandle::destroyForcibly);
  }

  private static boolean workingIn(long pid, Path dir) {
    try {
      return Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "cwd")).startsWith(dir);
    } catch (IOException | RuntimeException gone) {
      return false;
    }
  }

  /** The agent's session and its descendants (which may have left the session). */
  private static Set<ProcessHandle> leftovers(Process agent) {
    Set<ProcessHandle> left = new LinkedHashSet<>(sessionMembers(agent.pid()));
    agent.descendants().forEach(left::add);
    return left;
  }

  /** The processes in that session besides its leader, read from /proc; none elsewhere. */
  private static List<ProcessHandle> sessionMembers(long sessionId) {
    List<ProcessHandle> members = new ArrayList<>();
    try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
      all.forEach(
          p -> {
            if (p.pid() != sessionId && session(p.pid()) == sessionId) {
              members.add(p);
            }
          });
    }
    return members;
  }

  private static long session(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      // pid (comm) state ppid pgrp session ...; comm may hold spaces and parentheses
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      if (fields[0].equals("Z") || fields[0].equals("X")) {
        return -1; // dead already, waiting to be reaped
      }
      return Long.parseLong(fields[3]);
    } catch (IOException | RuntimeException gone) {
      return -1;
    }
  }
}
