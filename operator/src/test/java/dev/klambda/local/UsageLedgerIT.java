package dev.klambda.local;

import static dev.klambda.testing.Manifests.bashRuntime;
import static dev.klambda.testing.Manifests.provided;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.klambda.testing.LambdaClients;
import dev.klambda.testing.LocalModes;
import dev.klambda.testing.Manifests;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.lambda.LambdaClient;

/** Local mode's usage ledger file: totals survive a restart (before + after = total). */
class UsageLedgerIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path dir;

  @Test
  void usageSurvivesARestart() throws Exception {
    Path manifest =
        Manifests.write(
            dir.resolve("f.yaml"),
            List.of(
                provided(
                    "billed", bashRuntime("", "  respond \"$1\" '{}'"), Map.of("memoryMB", 192))));
    run(manifest, 3);
    JsonNode first = JSON.readTree(dir.resolve("usage.json").toFile()).get("default/billed");
    assertThat(first.get("invocations").asLong()).isEqualTo(3);

    run(manifest, 2);

    JsonNode total = JSON.readTree(dir.resolve("usage.json").toFile()).get("default/billed");
    assertThat(total.get("invocations").asLong()).isEqualTo(5);
    assertThat(total.get("errors").asLong()).isZero();
    long billed = total.get("billedMilliseconds").asLong();
    assertThat(billed).isGreaterThan(first.get("billedMilliseconds").asLong());
    assertThat(total.get("megabyteMilliseconds").asLong()).isEqualTo(192 * billed);
    assertThat(new BigDecimal(total.get("gbSeconds").asText()))
        .isEqualByComparingTo(new BigDecimal(192 * billed).divide(new BigDecimal(1_024_000)));
    assertThat(total.get("since").asText()).isEqualTo(first.get("since").asText());
  }

  private void run(Path manifest, int invocations) throws Exception {
    try (LocalMode local = LocalModes.start(dir, LocalModes.discarded(), manifest.toString());
        LambdaClient lambda = LambdaClients.of(local.gateway().baseUrl())) {
      for (int i = 0; i < invocations; i++) {
        assertThat(
                lambda
                    .invoke(r -> r.functionName("billed").payload(SdkBytes.fromUtf8String("{}")))
                    .functionError())
            .isNull();
      }
    }
  }
}
