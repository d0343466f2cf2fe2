package dev.klambda.destinations;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.klambda.function.Destination;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A Function's destination clients: opened once per destination and credentials, from Secrets
 * checked first.
 */
class DestinationClientsTest {
  private final AtomicInteger reads = new AtomicInteger();
  private final SecretSource secrets =
      (namespace, name) -> {
        reads.incrementAndGet();
        return switch (namespace + "/" + name) {
          case "team-a/sqs" -> Map.of("accessKeyId", "AKID", "secretAccessKey", "s3cret");
          case "team-a/wrong" -> Map.of("accessKeyId", "AKID");
          default -> null;
        };
      };

  @Test
  void aDestinationsClientIsOpenedOnceAndItsSecretReadOnce() {
    var queue =
        new Destination.ToQueue("http://127.0.0.1:1/1/records", "http://127.0.0.1:1", null, "sqs");
    try (DestinationClients clients = new DestinationClients(secrets, "us-east-1")) {
      RecordSender first = clients.sender("team-a", queue);

      assertThat(clients.sender("team-a", queue)).isSameAs(first);
      assertThat(reads).as("read again only after the refresh interval").hasValue(1);
      assertThat(
              clients.sender(
                  "team-b",
                  new Destination.ToQueue(
                      "http://127.0.0.1:1/1/records", "http://127.0.0.1:1", null, null)))
          .as("another namespace, no Secret: another client")
          .isNotSameAs(first);
    }
  }

  @Test
  void aMissingOrWrongSecretFailsTheSendNamingTheField() {
    try (DestinationClients clients = new DestinationClients(secrets, "us-east-1")) {
      assertThatThrownBy(
              () ->
                  clients.sender(
                      "team-a", new Destination.ToQueue("http://q/1/a", null, null, "none")))
          .hasMessage("sqs.credentialsSecretRef: no Secret team-a/none");
      assertThatThrownBy(
              () ->
                  clients.sender(
                      "team-a", new Destination.ToQueue("http://q/1/a", null, null, "wrong")))
          .hasMessage("sqs.credentialsSecretRef: Secret wrong has no key secretAccessKey");
      assertThatThrownBy(
              () -> clients.sender("team-a", new Destination.ToTopic("t", "b:9092", "none")))
          .hasMessage("kafka.authSecretRef: no Secret team-a/none");
    }
  }
}
