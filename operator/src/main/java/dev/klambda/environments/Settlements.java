package dev.klambda.environments;

import dev.klambda.agent.Settlement;
import dev.klambda.function.FunctionConfig;

/**
 * Told the whole Invoke phase of an invocation whose answer came before the phase ended (the
 * runtime worked on after answering): where metering bills the rest.
 */
@FunctionalInterface
public interface Settlements {
  Settlements NONE = (function, settlement) -> {};

  void settled(FunctionConfig function, Settlement settlement);
}
