package dev.klambda.environments;

import dev.klambda.function.FunctionConfig;
import java.net.URI;
import java.util.concurrent.CompletableFuture;

/**
 * One execution environment of a function: where its agent listens, and a future that completes
 * when it is gone (process exited, Pod deleted).
 */
public final class Environment {
  private final String id;
  private final FunctionConfig function;
  private final long generation;
  private final URI address;
  private final CompletableFuture<Void> terminated;
  private final String invokeToken;

  /** An environment whose agent takes work from anyone (tests). */
  public Environment(
      String id, FunctionConfig function, URI address, CompletableFuture<Void> terminated) {
    this(id, function, function.generation(), address, terminated, null);
  }

  /**
   * An environment of {@code generation} of the function (it may be older than the config).
   *
   * @param invokeToken what its agent requires of an invocation; null for none
   */
  public Environment(
      String id,
      FunctionConfig function,
      long generation,
      URI address,
      CompletableFuture<Void> terminated,
      String invokeToken) {
    this.id = id;
    this.function = function;
    this.generation = generation;
    this.address = address;
    this.terminated = terminated;
    this.invokeToken = invokeToken;
  }

  /** What the agent requires of an invocation (the gateway issued it), or null. */
  public String invokeToken() {
    return invokeToken;
  }

  public String id() {
    return id;
  }

  public FunctionConfig function() {
    return function;
  }

  /** The generation of the Function this environment runs. */
  public long generation() {
    return generation;
  }

  /** The agent's invoke endpoint base, e.g. {@code http://127.64.0.7:9000}. */
  public URI address() {
    return address;
  }

  public CompletableFuture<Void> terminated() {
    return terminated;
  }

  public boolean isTerminated() {
    return terminated.isDone();
  }

  @Override
  public String toString() {
    return function.key() + "#" + id;
  }
}
