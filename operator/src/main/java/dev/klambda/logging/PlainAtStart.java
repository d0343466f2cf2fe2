package dev.klambda.logging;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * Logback's configuration when the first logger is made, before {@code --log-format} is read (and
 * in a process that never reads it): plain lines at INFO on stderr, as {@link Logging} writes them.
 * Found by Logback through {@code META-INF/services}; without it Logback would log at DEBUG on
 * stdout until then. A configuration file, when given, is left to Logback.
 */
public final class PlainAtStart extends ContextAwareBase implements Configurator {
  @Override
  public ExecutionStatus configure(LoggerContext context) {
    if (Logging.configurationFileGiven()) {
      return ExecutionStatus.INVOKE_NEXT_IF_ANY;
    }
    Logging.install(context, Logging.stderr(), LogFormat.PLAIN);
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }
}
