package dev.klambda.gateway;

import dev.klambda.environments.InvocationResult;
import dev.klambda.function.FunctionConfig;

/** Told about every invocation a router ran or refused: where metrics and metering plug in. */
public interface InvocationObserver {
  InvocationObserver NONE = new InvocationObserver() {
    @Override
    public void completed(FunctionConfig function, InvocationResult result) {}

    @Override
    public void throttled(FunctionConfig function) {}
  };

  void completed(FunctionConfig function, InvocationResult result);

  void throttled(FunctionConfig function);
}
