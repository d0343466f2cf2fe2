package dev.klambda.pool;

import dev.klambda.environments.Environment;
import dev.klambda.function.FunctionConfig;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** How an environment manager starts warm-pool members and hands one to a function. */
public interface PoolMembers {
  /** Starts a member; the future completes once it can be claimed, and fails when it cannot. */
  CompletableFuture<PoolMember> startMember(PoolSpec pool);

  /**
   * Makes {@code member} an environment of {@code function} for the rest of its life: gives it the
   * function's configuration and code, and blocks until its Init has ended (as {@link
   * dev.klambda.environments.EnvironmentManager#start} completes).
   *
   * @throws IOException when the member is gone or refuses; it is discarded
   */
  Environment claim(PoolMember member, FunctionConfig function, boolean provisioned)
      throws IOException, InterruptedException;

  /** Stops a member nobody claimed (a pool that shrank, a manager closing). */
  void discard(PoolMember member);

  /**
   * Unclaimed members that already run (Pods a previous operator started), to be adopted or
   * discarded; none for local processes.
   */
  default List<PoolMember> existingMembers(List<PoolSpec> pools) {
    return List.of();
  }
}
