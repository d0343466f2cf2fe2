package dev.klambda.pool;

import dev.klambda.environments.Environment;
import dev.klambda.environments.EnvironmentManager;
import dev.klambda.function.FunctionConfig;
import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Environments and pool members that exist only as objects: records what was started, claimed (by
 * which function) and discarded; member starts fail while {@link #memberFailure} is set.
 */
final class TestingPoolMembers implements EnvironmentManager, PoolMembers {
  final List<PoolMember> startedMembers = new CopyOnWriteArrayList<>();
  final List<PoolMember> discarded = new CopyOnWriteArrayList<>();
  final List<Environment> ownStarts = new CopyOnWriteArrayList<>();

  /** Who claimed each member, by member id: a second entry would be a second tenant. */
  final Map<String, List<String>> claims = new ConcurrentHashMap<>();

  final AtomicInteger memberStartAttempts = new AtomicInteger();
  volatile RuntimeException memberFailure;
  volatile boolean claimsFail;
  private final AtomicInteger ids = new AtomicInteger();

  @Override
  public CompletableFuture<PoolMember> startMember(PoolSpec pool) {
    memberStartAttempts.incrementAndGet();
    if (memberFailure != null) {
      return CompletableFuture.failedFuture(memberFailure);
    }
    PoolMember member =
        new PoolMember(
            "member-" + ids.incrementAndGet(),
            pool,
            URI.create("http://127.0.0.1:9000"),
            new CompletableFuture<>(),
            null);
    startedMembers.add(member);
    return CompletableFuture.completedFuture(member);
  }

  @Override
  public Environment claim(PoolMember member, FunctionConfig function, boolean provisioned)
      throws IOException {
    claims.computeIfAbsent(member.id(), id -> new CopyOnWriteArrayList<>()).add(function.key());
    if (claimsFail) {
      member.terminated().complete(null);
      throw new IOException("refused");
    }
    return new Environment(member.id(), function, member.address(), member.terminated());
  }

  @Override
  public void discard(PoolMember member) {
    discarded.add(member);
    member.terminated().complete(null);
  }

  @Override
  public CompletableFuture<Environment> start(FunctionConfig function, boolean provisioned) {
    Environment environment =
        new Environment(
            "own-" + ids.incrementAndGet(),
            function,
            URI.create("http://127.0.0.1:9000"),
            new CompletableFuture<>());
    ownStarts.add(environment);
    return CompletableFuture.completedFuture(environment);
  }

  @Override
  public CompletableFuture<Void> stop(Environment environment) {
    environment.terminated().complete(null);
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public void close() {}
}
