package dev.klambda.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.klambda.auth.AuthMethods;
import dev.klambda.function.SizingPolicy;
import dev.klambda.logging.LogFormat;
import dev.klambda.metering.Billing;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The three commands' flags: defaults declared once, errors that name the flag and the rule. */
class OptionsTest {
  @Test
  void theGatewaysDefaults() {
    Options options = Options.parseGateway(List.of("--gateway-key-file", "/keys/key"));

    assertThat(options.bind()).isEqualTo("0.0.0.0");
    assertThat(options.port()).isEqualTo(8080);
    assertThat(options.metricsPort()).isEqualTo(9090);
    assertThat(options.queueTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(options.concurrencyLimit()).isEqualTo(1000);
    assertThat(options.billing()).isEqualTo(Billing.AWS);
    assertThat(options.sizing()).isEqualTo(SizingPolicy.DEFAULT);
    assertThat(options.runtimeImage()).isEqualTo(Options.DEFAULT_RUNTIME_IMAGE);
    assertThat(options.auth().methods()).containsExactlyInAnyOrder(AuthMethods.values());
    assertThat(options.auth().tokenAudiences()).containsExactly("klambda");
    assertThat(options.auth().allowedTtl()).isEqualTo(Duration.ofSeconds(60));
    assertThat(options.namespaces()).isEmpty();
    assertThat(options.queueAtLimit()).isFalse();
    assertThat(options.logFormat()).isEqualTo(LogFormat.PLAIN);
  }

  @Test
  void localModeListensOnTheLoopbackWithoutAuth() {
    Options options = Options.parseLocal(List.of("--port", "0", "functions.yaml", "more/"));

    assertThat(options.bind()).isEqualTo("127.0.0.1");
    assertThat(options.port()).isZero();
    assertThat(options.manifests()).containsExactly(Path.of("functions.yaml"), Path.of("more/"));
    assertThat(options.auth().methods()).isEmpty();
    assertThat(options.usageFile())
        .isEqualTo(Path.of(System.getProperty("user.home"), ".klambda", "usage.json"));
  }

  @Test
  void theOperatorsFlags() {
    Options options =
        Options.parseOperator(
            List.of(
                "--namespaces",
                "a, b",
                "--leader-election",
                "true",
                "--metrics-auth",
                "kubernetes",
                "--gateway-url",
                "http://gw:8080",
                "--log-format",
                "json"));

    assertThat(options.namespaces()).isEqualTo(Set.of("a", "b"));
    assertThat(options.leaderElection()).isTrue();
    assertThat(options.auth().metricsAuth()).isTrue();
    assertThat(options.auth().allowedTtl())
        .as("for /metrics reviews")
        .isEqualTo(Duration.ofSeconds(60));
    assertThat(options.gatewayUrl()).isEqualTo("http://gw:8080");
    assertThat(options.logFormat()).isEqualTo(LogFormat.JSON);
  }

  @Test
  void badValuesNameTheFlagAndTheRule() {
    assertThatThrownBy(() -> Options.parseGateway(List.of("--port", "70000")))
        .hasMessage("--port must be a number from 0 to 65535 (got 70000)");
    assertThatThrownBy(() -> Options.parseGateway(List.of("--port", "eighty")))
        .hasMessageContaining("--port")
        .hasMessageContaining("'eighty'");
    assertThatThrownBy(() -> Options.parseGateway(List.of("--bill-init", "maybe")))
        .hasMessageContaining("--bill-init")
        .hasMessageContaining("'maybe'");
    assertThatThrownBy(() -> Options.parseOperator(List.of("--port", "8080")))
        .as("a flag of another command")
        .hasMessageContaining("Unknown options: '--port'");
    assertThatThrownBy(
            () -> Options.parseGateway(List.of("--auth", "none", "--price-per-gb-second", "-1")))
        .hasMessage("--price-per-gb-second must be a decimal number of at least 0 (got -1)");
    assertThatThrownBy(() -> Options.parseGateway(List.of()))
        .hasMessageStartingWith("--gateway-key-file is required with --auth kubernetes,sigv4");
    assertThatThrownBy(() -> Options.parseLocal(List.of()))
        .hasMessage("give at least one manifest file or folder");
    assertThatThrownBy(() -> Options.parseLocal(List.of("--log-format", "xml", "f.yaml")))
        .hasMessage("--log-format must be plain or json (got 'xml')");
    assertThatThrownBy(() -> Options.parseLocal(List.of("--auth", "kubernetes", "f.yaml")))
        .hasMessageStartingWith("--auth: local mode has no Kubernetes API server");
    assertThatThrownBy(
            () ->
                Options.parseGateway(
                    List.of(
                        "--auth",
                        "none",
                        "--agent-cpu-millis",
                        "200",
                        "--agent-cpu-limit-millis",
                        "100")))
        .hasMessage(
            "--agent-cpu-limit-millis must be 0 or at least --agent-cpu-millis (200), got 100");
    assertThatThrownBy(
            () ->
                Options.parseGateway(
                    List.of(
                        "--auth", "none", "--namespaces", "a", "--warm-pool", "b/provided/128=1")))
        .hasMessageStartingWith("--warm-pool: namespace 'b'");
  }

  /** --help is generated from the same declarations: every flag, with its default. */
  @Test
  void theUsageListsEveryFlagWithItsDefault() {
    assertThat(Options.GATEWAY_USAGE)
        .contains(
            "klambda gateway",
            "--runtime-image=IMAGE",
            "image of environments (default " + Options.DEFAULT_RUNTIME_IMAGE + ")",
            "--port=N",
            "(default 8080)");
    assertThat(Options.OPERATOR_USAGE)
        .contains("--gateway-url=URL", "--leader-election=true|false")
        .doesNotContain("--port=");
    assertThat(Options.LOCAL_USAGE)
        .contains("FILE_OR_DIR", "--work-dir=DIR")
        .doesNotContain("--namespaces");
  }
}
