package dev.klambda.pool;

import dev.klambda.environments.Environment;
import dev.klambda.function.FunctionConfig;
import java.net.URI;
import java.util.concurrent.CompletableFuture;

/**
 * A started, unclaimed environment of a warm pool: its agent listens and its function container is
 * up, with no code and no function yet.
 *
 * @param id the Pod's name, or the local process's id
 * @param address the agent's invoke endpoint base
 * @param terminated completes when it is gone
 * @param invokeToken what its agent requires of a claim and of invocations; null for none
 */
public record PoolMember(
    String id, PoolSpec pool, URI address, CompletableFuture<Void> terminated, String invokeToken) {
  /** This member as an environment of {@code function}, which claimed it. */
  public Environment claimedBy(FunctionConfig function) {
    return new Environment(id, function, function.generation(), address, terminated, invokeToken);
  }

  @Override
  public String toString() {
    return pool + "#" + id;
  }
}
