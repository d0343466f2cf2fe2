package dev.klambda.logging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The lines {@code --log-format} asks for, as {@link Logging} sets Logback up, written into a
 * buffer by a context of the test's own (the process's context is the tests' logback-test.xml).
 */
class LoggingTest {
  private final LoggerContext context = new LoggerContext();
  private final ByteArrayOutputStream written = new ByteArrayOutputStream();

  @BeforeEach
  void shareTheProcesssMdc() {
    context.setMDCAdapter(MDC.getMDCAdapter());
  }

  @AfterEach
  void stop() {
    context.stop();
    MDC.clear();
  }

  @Test
  void jsonLinesCarryLevelLoggerMessageTimeThreadAndContext() throws Exception {
    Logger log = logger(LogFormat.JSON);
    long before = System.currentTimeMillis();

    MDC.put("function", "default/echo");
    log.atWarn().addKeyValue("requestId", "r-1").log("environment {} stopped", "e-7");
    MDC.remove("function");
    log.info("a second line, \"quoted\"\nover two lines");
    log.debug("below INFO: not written");

    List<String> lines = lines();
    assertThat(lines).hasSize(2);
    JsonNode first = new ObjectMapper().readTree(lines.get(0));
    assertThat(first.path("level").asText()).isEqualTo("WARN");
    assertThat(first.path("loggerName").asText()).isEqualTo("dev.klambda.test");
    assertThat(first.path("formattedMessage").asText()).isEqualTo("environment e-7 stopped");
    assertThat(first.path("threadName").asText()).isEqualTo(Thread.currentThread().getName());
    assertThat(first.path("timestamp").asLong()).isBetween(before, System.currentTimeMillis());
    assertThat(first.path("mdc").path("function").asText()).isEqualTo("default/echo");
    assertThat(first.path("kvpList").get(0).path("requestId").asText()).isEqualTo("r-1");
    JsonNode second = new ObjectMapper().readTree(lines.get(1));
    assertThat(second.path("formattedMessage").asText())
        .isEqualTo("a second line, \"quoted\"\nover two lines");
  }

  @Test
  void plainLinesAreTextAsBefore() {
    Logger log = logger(LogFormat.PLAIN);

    log.warn("environment {} stopped", "e-7");

    assertThat(lines())
        .containsExactly(
            "["
                + Thread.currentThread().getName()
                + "] WARN dev.klambda.test - environment e-7 stopped");
  }

  @Test
  void aConfigurationFileDecidesInsteadOfTheFlag() {
    LoggerContext process = (LoggerContext) LoggerFactory.getILoggerFactory();
    ch.qos.logback.classic.Logger root = process.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    assertThat(root.getAppender("stderr")).as("logback-test.xml's appender").isNotNull();

    Logging.use(LogFormat.JSON);

    assertThat(root.getAppender("stderr")).as("still logback-test.xml's").isNotNull();
    assertThat(root.getAppender("klambda")).isNull();
  }

  @Test
  void theFlagsValues() {
    assertThat(LogFormat.parse("--log-format", "plain")).isEqualTo(LogFormat.PLAIN);
    assertThat(LogFormat.parse("--log-format", "json")).isEqualTo(LogFormat.JSON);
    assertThatThrownBy(() -> LogFormat.parse("--log-format", "JSON"))
        .hasMessage("--log-format must be plain or json (got 'JSON')");
  }

  private Logger logger(LogFormat format) {
    OutputStreamAppender<ILoggingEvent> appender = new OutputStreamAppender<>();
    appender.setOutputStream(written);
    Logging.install(context, appender, format);
    return context.getLogger("dev.klambda.test");
  }

  private List<String> lines() {
    return written.toString(StandardCharsets.UTF_8).lines().toList();
  }
}
