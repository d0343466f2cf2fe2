package dev.klambda.pool;

import dev.klambda.environments.Environment;
import dev.klambda.environments.EnvironmentManager;
import dev.klambda.function.FunctionConfig;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An environment manager whose on-demand starts take a warm-pool member when one fits, and start an
 * environment of their own otherwise (or when the claim fails). Provisioned environments are
 * started ahead of demand anyway: they leave the pool to the cold starts somebody waits for.
 */
public final class PooledEnvironmentManager implements EnvironmentManager {
  private static final Logger LOG = LoggerFactory.getLogger(PooledEnvironmentManager.class);

  private final EnvironmentManager environments;
  private final PoolMembers members;
  private final WarmPool pool;
  private final Executor executor = Executors.newVirtualThreadPerTaskExecutor();

  /**
   * The pools of {@code pools} (none: every start is the manager's own), kept by {@code manager}.
   */
  public <M extends EnvironmentManager & PoolMembers> PooledEnvironmentManager(
      M manager, List<PoolSpec> pools) {
    this.environments = manager;
    this.members = manager;
    this.pool = new WarmPool(pools, manager);
  }

  /** The pools; they fill once {@link WarmPool#start started}. */
  public WarmPool pool() {
    return pool;
  }

  @Override
  public CompletableFuture<Environment> start(FunctionConfig function, boolean provisioned) {
    Optional<PoolMember> member = provisioned ? Optional.empty() : pool.take(function);
    if (member.isEmpty()) {
      return environments.start(function, provisioned);
    }
    return CompletableFuture.supplyAsync(() -> claim(member.get(), function), executor)
        .exceptionallyCompose(
            failure -> {
              LOG.warn(
                  "function {}: claiming pool member {} failed, starting an environment instead: {}",
                  function.key(),
                  member.get().id(),
                  failure.getMessage());
              return environments.start(function, false);
            });
  }

  private Environment claim(PoolMember member, FunctionConfig function) {
    try {
      return members.claim(member, function, false);
    } catch (IOException e) {
      throw new CompletionException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CompletionException(e);
    }
  }

  @Override
  public CompletableFuture<Void> stop(Environment environment) {
    return environments.stop(environment);
  }

  @Override
  public List<Environment> existing(FunctionConfig function) {
    return environments.existing(function);
  }

  /** The pool stops refilling first, so closing the manager does not race new members. */
  @Override
  public void close() {
    pool.close();
    environments.close();
  }
}
