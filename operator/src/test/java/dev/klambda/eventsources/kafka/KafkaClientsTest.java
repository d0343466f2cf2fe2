package dev.klambda.eventsources.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.klambda.eventsources.MappingConfig;
import dev.klambda.eventsources.filter.RecordFilter;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KafkaClientsTest {
  @Test
  void theAuthSecretsSettingsBecomeClientProperties() {
    // the auth Secret's data as SourceCredentials.kafka passes it on once checked
    Map<String, String> auth =
        Map.of("saslMechanism", "SCRAM-SHA-512", "username", "alice", "password", "p\"w");
    var props =
        KafkaClients.consumer(
            new MappingConfig(
                "team-a",
                "m",
                "uid-1",
                1,
                "f",
                true,
                100,
                java.time.Duration.ZERO,
                -1,
                false,
                false,
                null,
                1000,
                RecordFilter.of(java.util.List.of()),
                new MappingConfig.Kafka("b:9092", "orders", null, "creds", "TRIM_HORIZON"),
                null),
            new MappingConfig.Kafka("b:9092", "orders", null, "creds", "TRIM_HORIZON"),
            auth);

    assertThat(props)
        .containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
        .containsEntry("group.id", "uid-1")
        .containsEntry("auto.offset.reset", "earliest")
        .containsEntry("enable.auto.commit", "false")
        .containsEntry("max.poll.records", "100");
    assertThat(props.getProperty("sasl.jaas.config"))
        .isEqualTo(
            "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"alice\" password=\"p\\\"w\";");
  }

  @Test
  void theGroupIdIsTheConfiguredOneElseTheUidElseNamespaceAndName() {
    var source = new MappingConfig.Kafka("b:9092", "orders", null, null, "LATEST");
    MappingConfig fromCluster =
        new MappingConfig(
            "team-a",
            "m",
            "uid-1",
            1,
            "f",
            true,
            100,
            java.time.Duration.ZERO,
            -1,
            false,
            false,
            null,
            1000,
            RecordFilter.of(java.util.List.of()),
            source,
            null);
    MappingConfig fromManifest =
        new MappingConfig(
            "team-a",
            "m",
            null,
            1,
            "f",
            true,
            100,
            java.time.Duration.ZERO,
            -1,
            false,
            false,
            null,
            1000,
            RecordFilter.of(java.util.List.of()),
            source,
            null);

    assertThat(KafkaClients.groupId(fromCluster, source)).isEqualTo("uid-1");
    assertThat(KafkaClients.groupId(fromManifest, source)).isEqualTo("klambda-team-a-m");
    assertThat(
            KafkaClients.groupId(
                fromManifest,
                new MappingConfig.Kafka("b:9092", "orders", "billing", null, "LATEST")))
        .isEqualTo("billing");
  }
}
