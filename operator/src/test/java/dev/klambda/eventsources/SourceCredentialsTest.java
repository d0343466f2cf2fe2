package dev.klambda.eventsources;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.klambda.destinations.SecretSource;
import dev.klambda.eventsources.filter.RecordFilter;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;

class SourceCredentialsTest {
  private static final String FIELD = "spec.source.sqs.credentialsSecretRef";

  private static SecretSource secret(Map<String, String> data) {
    return (namespace, name) -> namespace.equals("team-a") && name.equals("creds") ? data : null;
  }

  private static MappingConfig sqsMapping(String secret) {
    return new MappingConfig(
        "team-a",
        "m",
        "uid-1",
        1,
        "f",
        true,
        10,
        java.time.Duration.ZERO,
        -1,
        false,
        false,
        null,
        1000,
        RecordFilter.of(java.util.List.of()),
        new MappingConfig.Sqs("http://q/1/orders", null, null, secret),
        null);
  }

  @Test
  void awsCredentialsComeFromTheSecretsKeys() throws Exception {
    var credentials =
        SourceCredentials.aws(
            Map.of("accessKeyId", "AKID", "secretAccessKey", "s3cret", "sessionToken", "token"),
            "creds");

    assertThat(credentials).isInstanceOf(AwsSessionCredentials.class);
    assertThat(credentials.accessKeyId()).isEqualTo("AKID");
    assertThat(credentials.secretAccessKey()).isEqualTo("s3cret");
  }

  @Test
  void aMissingSecretIsWaitedForAndAWrongOneIsInvalid() {
    assertThatThrownBy(() -> SourceCredentials.read(SecretSource.NONE, sqsMapping("creds")))
        .isInstanceOfSatisfying(
            EventSourceManager.CannotStartException.class, e -> assertThat(e.retry()).isTrue())
        .hasMessage(FIELD + ": no Secret team-a/creds");
    assertThatThrownBy(() -> SourceCredentials.aws(Map.of("accessKeyId", "AKID"), "creds"))
        .isInstanceOfSatisfying(
            EventSourceManager.CannotStartException.class, e -> assertThat(e.retry()).isFalse())
        .hasMessage(FIELD + ": Secret creds has no key secretAccessKey");
    assertThatThrownBy(
            () ->
                SourceCredentials.aws(
                    Map.of("accessKeyId", "A", "secretAccessKey", "B", "region", "x"), "creds"))
        .hasMessageContaining("has an unknown key region");
  }

  @Test
  void theSecretReadIsTheOneTheSourceNames() throws Exception {
    Map<String, String> data = Map.of("accessKeyId", "AKID", "secretAccessKey", "s3cret");
    assertThat(SourceCredentials.read(secret(data), sqsMapping("creds"))).isEqualTo(data);
    assertThat(SourceCredentials.read(secret(data), sqsMapping(null)))
        .as("none named: none read")
        .isNull();
  }

  @Test
  void kafkaSettingsAreChecked() throws Exception {
    String field = "spec.source.kafka.authSecretRef";
    Map<String, String> data =
        Map.of("saslMechanism", "SCRAM-SHA-512", "username", "alice", "password", "p\"w");
    assertThat(SourceCredentials.kafka(data, "creds")).isEqualTo(data);

    assertThatThrownBy(() -> SourceCredentials.kafka(Map.of("saslMechanism", "GSSAPI"), "creds"))
        .hasMessage(
            field
                + ": Secret creds key saslMechanism must be one of [PLAIN, SCRAM-SHA-256, SCRAM-SHA-512] (got 'GSSAPI')");
    assertThatThrownBy(() -> SourceCredentials.kafka(Map.of("saslMechanism", "PLAIN"), "creds"))
        .hasMessage(field + ": Secret creds needs username and password for saslMechanism PLAIN");
    assertThat(SourceCredentials.kafka(null, null)).isEmpty();
  }
}
