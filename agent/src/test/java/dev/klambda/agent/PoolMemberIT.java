package dev.klambda.agent;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.klambda.agent.AgentProcess.Invoked;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A warm-pool member: an agent started for no function, which a claim turns into the function's
 * environment once and for good.
 */
@Timeout(value = 20, unit = SECONDS)
class PoolMemberIT {
  /** Answers with the event, the function's name and a variable, as the runtime sees them. */
  private static final String ECHO =
      BashRuntime.loop(
          "",
          """
          printf '%s|%s|%s' "$event" "$AWS_LAMBDA_FUNCTION_NAME" "${GREETING-}" \\
            | curl -sS -X POST "$api/invocation/$request_id/response" --data-binary @- >/dev/null""");

  @TempDir Path dir;
  private AgentProcess agent;

  @AfterEach
  void stop() throws InterruptedException {
    if (agent != null) {
      agent.close();
    }
  }

  @Test
  void aMemberWaitsForItsClaimThenRunsTheFunctionItWasGiven(TestInfo test) throws Exception {
    agent = AgentProcess.builder(dir, name(test)).pooled().start();
    assertThat(agent.claimable(Duration.ofSeconds(5))).isEqualTo(204);
    assertThat(agent.ready(Duration.ZERO).statusCode()).isEqualTo(503);
    assertThat(agent.ready(Duration.ZERO).body()).contains("POOLED");
    assertThat(agent.invoke("{}").status()).as("no function before the claim").isEqualTo(503);

    assertThat(
            agent
                .claim(
                    claim(
                        "echo",
                        128,
                        Map.of(
                            "bootstrap",
                            new PoolClaim.CodeFile(ECHO.getBytes(UTF_8), true),
                            "data/config.txt",
                            new PoolClaim.CodeFile("x".getBytes(UTF_8), false))))
                .statusCode())
        .isEqualTo(202);

    assertThat(agent.awaitInitEnd().statusCode()).isEqualTo(200);
    Invoked invoked = agent.invoke("{\"n\":1}");
    assertThat(invoked.outcome()).isEqualTo("success");
    assertThat(invoked.body()).isEqualTo("{\"n\":1}|echo|hello");
    assertThat(Long.parseLong(invoked.header(AgentProtocol.INIT_DURATION_MICROS)))
        .as("Init from the claim")
        .isPositive();
    agent.awaitLog("REPORT RequestId:");
    Path config = agent.taskRoot().resolve("data/config.txt");
    assertThat(Files.readString(config)).isEqualTo("x");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(config)))
        .isEqualTo("r--r--r--");
    assertThat(
            PosixFilePermissions.toString(
                Files.getPosixFilePermissions(agent.taskRoot().resolve("bootstrap"))))
        .isEqualTo("r-xr-xr-x");
  }

  @Test
  void withAnInvokeTokenOnlyTheGatewayMayClaim(TestInfo test) throws Exception {
    agent =
        AgentProcess.builder(dir, name(test))
            .pooled()
            .env(AgentProtocol.INVOKE_TOKEN_VARIABLE, "gateway-token")
            .start();
    Map<String, PoolClaim.CodeFile> code =
        Map.of("bootstrap", new PoolClaim.CodeFile(ECHO.getBytes(UTF_8), true));
    assertThat(agent.claimable(Duration.ofSeconds(5)))
        .as("whether it can be claimed is no secret")
        .isEqualTo(204);

    assertThat(agent.claim(claim("stolen", 128, code)).statusCode()).isEqualTo(403);
    assertThat(
            agent
                .claim(claim("stolen", 128, code), AgentProtocol.INVOKE_TOKEN, "guess")
                .statusCode())
        .isEqualTo(403);
    assertThat(agent.claimable(Duration.ZERO)).as("still unclaimed").isEqualTo(204);
    assertThat(
            agent
                .claim(claim("echo", 128, code), AgentProtocol.INVOKE_TOKEN, "gateway-token")
                .statusCode())
        .isEqualTo(202);
    assertThat(agent.awaitInitEnd().statusCode()).isEqualTo(200);
    assertThat(agent.invoke("{}", AgentProtocol.INVOKE_TOKEN, "gateway-token").body())
        .endsWith("|echo|hello");
  }

  @Test
  void aClaimedMemberRefusesASecondFunction(TestInfo test) throws Exception {
    agent = AgentProcess.builder(dir, name(test)).pooled().start();
    Map<String, PoolClaim.CodeFile> code =
        Map.of("bootstrap", new PoolClaim.CodeFile(ECHO.getBytes(UTF_8), true));
    assertThat(agent.claim(claim("first", 128, code)).statusCode()).isEqualTo(202);
    assertThat(agent.awaitInitEnd().statusCode()).isEqualTo(200);

    var second = agent.claim(claim("second", 128, code));

    assertThat(second.statusCode()).isEqualTo(409);
    assertThat(second.body()).contains("ClaimRefused");
    assertThat(agent.claimable(Duration.ZERO)).isEqualTo(409);
    assertThat(agent.invoke("{}").body()).endsWith("|first|hello");
  }

  @Test
  void aClaimThatDoesNotFitTheMemberIsRefusedAndTheMemberStaysClaimable(TestInfo test)
      throws Exception {
    agent = AgentProcess.builder(dir, name(test)).pooled().start();
    Map<String, PoolClaim.CodeFile> code =
        Map.of("bootstrap", new PoolClaim.CodeFile(ECHO.getBytes(UTF_8), true));

    var otherSize = agent.claim(claim("big", 256, code));
    var outside =
        agent.claim(
            claim("escape", 128, Map.of("../escape", new PoolClaim.CodeFile(new byte[1], false))));
    var garbage = agent.claim("not a claim".getBytes(UTF_8));

    assertThat(otherSize.statusCode()).isEqualTo(409);
    assertThat(otherSize.body()).contains("pooled for provided/128, not provided/256");
    assertThat(outside.statusCode()).isEqualTo(400);
    assertThat(outside.body()).contains("file outside the task root: ../escape");
    assertThat(garbage.statusCode()).isEqualTo(400);
    assertThat(Files.exists(dir.resolve("escape"))).isFalse();
    assertThat(agent.claimable(Duration.ZERO)).isEqualTo(204);
  }

  private static byte[] claim(String function, int memoryMB, Map<String, PoolClaim.CodeFile> code) {
    return new PoolClaim(
            Map.of(
                "KLAMBDA_RUNTIME", "provided",
                "KLAMBDA_FUNCTION_NAME", function,
                "KLAMBDA_MEMORY_MB", Integer.toString(memoryMB),
                "KLAMBDA_TIMEOUT_MS", "3000",
                "KLAMBDA_INIT_TIMEOUT_MS", "5000",
                "KLAMBDA_TASK_ROOT", "/somewhere/else",
                "GREETING", "hello"),
            code)
        .encode();
  }

  private static String name(TestInfo test) {
    return "pool-" + test.getTestMethod().orElseThrow().getName();
  }
}
