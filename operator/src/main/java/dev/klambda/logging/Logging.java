package dev.klambda.logging;

import ch.qos.logback.classic.ClassicConstants;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.util.Loader;
import org.slf4j.LoggerFactory;

/**
 * The process's log lines, on Logback: every event at INFO and above, on stderr (stdout is local
 * mode's, for what it prints to the user on purpose), as plain text or JSON ({@code --log-format}).
 * A Logback configuration file, when one is given ({@code -Dlogback.configurationFile}, or {@code
 * logback-test.xml} on the tests' class path), decides instead, levels and format alike.
 */
public final class Logging {
  /**
   * slf4j-simple's line, which klambda wrote before Logback: no time (the container runtime adds
   * it).
   */
  static final String PLAIN_PATTERN = "[%thread] %level %logger - %msg%n";

  private Logging() {}

  /**
   * Writes the process's log lines in this format from now on, unless a configuration file decides.
   */
  public static void use(LogFormat format) {
    if (configurationFileGiven()) {
      return;
    }
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    context.reset();
    install(context, stderr(), format);
  }

  /**
   * Logback's own search for its configuration file (a property, then the class path), as it does
   * at start.
   */
  static boolean configurationFileGiven() {
    ClassLoader loader = Logging.class.getClassLoader();
    return System.getProperty(ClassicConstants.CONFIG_FILE_PROPERTY) != null
        || Loader.getResource(ClassicConstants.TEST_AUTOCONFIG_FILE, loader) != null
        || Loader.getResource(ClassicConstants.AUTOCONFIG_FILE, loader) != null;
  }

  static OutputStreamAppender<ILoggingEvent> stderr() {
    ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
    console.setTarget("System.err");
    return console;
  }

  /** The root logger at INFO, writing through this appender in this format. */
  static void install(
      LoggerContext context, OutputStreamAppender<ILoggingEvent> appender, LogFormat format) {
    appender.setContext(context);
    appender.setName("klambda");
    appender.setEncoder(encoder(context, format));
    appender.start();
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.INFO);
    root.addAppender(appender);
  }

  private static Encoder<ILoggingEvent> encoder(LoggerContext context, LogFormat format) {
    Encoder<ILoggingEvent> encoder =
        switch (format) {
          case PLAIN -> {
            PatternLayoutEncoder pattern = new PatternLayoutEncoder();
            pattern.setPattern(PLAIN_PATTERN);
            yield pattern;
          }
          case JSON -> {
            JsonEncoder json = new JsonEncoder();
            // the message as formatted, not its template and arguments; no per-process noise
            json.setWithMessage(false);
            json.setWithArguments(false);
            json.setWithFormattedMessage(true);
            json.setWithSequenceNumber(false);
            json.setWithNanoseconds(false);
            json.setWithContext(false);
            yield json;
          }
        };
    encoder.setContext(context);
    encoder.start();
    return encoder;
  }
}
