package dev.klambda.routing;

import dev.klambda.environments.Environment;
import dev.klambda.function.FunctionConfig;
import io.netty.handler.codec.http.HttpHeaders;
import java.net.URI;
import java.util.concurrent.CompletableFuture;

/**
 * An environment lent by the replica that routes its function: what the borrower needs to invoke
 * it, as carried in {@link ForwardingProtocol}'s headers.
 *
 * @param invokeToken what its agent requires of an invocation; null for none
 */
public record Loan(String environmentId, long generation, URI address, String invokeToken) {
  /**
   * A borrowed environment handed back when its owner recalled it, idle since {@code idleMillis}.
   */
  public record Recalled(String environmentId, long idleMillis) {}

  static Loan of(Environment environment) {
    return new Loan(
        environment.id(),
        environment.generation(),
        environment.address(),
        environment.invokeToken());
  }

  /** The loan in the headers of the owner's answer. */
  public void writeTo(HttpHeaders headers) {
    headers
        .set(ForwardingProtocol.ENVIRONMENT, environmentId)
        .set(ForwardingProtocol.GENERATION, Long.toString(generation))
        .set(ForwardingProtocol.ADDRESS, address.toString());
    if (invokeToken != null) {
      headers.set(ForwardingProtocol.INVOKE_TOKEN, invokeToken);
    }
  }

  /** The loan the owner's answer carries. */
  static Loan readFrom(HttpHeaders headers) {
    return new Loan(
        headers.get(ForwardingProtocol.ENVIRONMENT),
        Long.parseLong(headers.get(ForwardingProtocol.GENERATION)),
        URI.create(headers.get(ForwardingProtocol.ADDRESS)),
        headers.get(ForwardingProtocol.INVOKE_TOKEN));
  }

  /**
   * The environment at the borrower, running {@code function} as the borrower knows it. It is never
   * seen to end here: an agent that is gone refuses the next invocation, and the loan goes back.
   */
  Environment environment(FunctionConfig function) {
    return new Environment(
        environmentId, function, generation, address, new CompletableFuture<>(), invokeToken);
  }
}
