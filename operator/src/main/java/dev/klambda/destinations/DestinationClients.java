package dev.klambda.destinations;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import dev.klambda.function.Destination;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The clients of Functions' destinations, opened on first use and kept, since an SQS client or a
 * Kafka producer is too dear to open per record: one per destination and credentials. A Secret is
 * read again after {@link #SECRET_REFRESH} (the pace at which mappings read theirs), so a rotated
 * one opens a new client; a client unused for {@link #IDLE} (its Secret rotated, its Function
 * changed) is closed.
 */
public final class DestinationClients implements RecordSenders, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DestinationClients.class);
  private static final Duration SECRET_REFRESH = Duration.ofSeconds(10);
  private static final Duration IDLE = Duration.ofMinutes(10);
  private static final String SQS_FIELD = "sqs.credentialsSecretRef";
  private static final String KAFKA_FIELD = "kafka.authSecretRef";

  /** A destination with the Secret data it is reached with (null: none). */
  private record Key(String namespace, Destination destination, Map<String, String> secret) {}

  private final SecretSource secrets;
  private final String region;
  private final Cache<String, Optional<Map<String, String>>> secretData =
      Caffeine.newBuilder().expireAfterWrite(SECRET_REFRESH).build();
  private final Cache<Key, RecordSender> senders =
      Caffeine.newBuilder()
          .expireAfterAccess(IDLE)
          .executor(
              Runnable::run) // closed on the thread that removes it, so close() leaves none open
          .removalListener(
              (Key key, RecordSender sender, RemovalCause cause) -> closeQuietly(key, sender))
          .build();

  /**
   * @param region of a queue that names none
   */
  public DestinationClients(SecretSource secrets, String region) {
    this.secrets = secrets;
    this.region = region;
  }

  @Override
  public RecordSender sender(String namespace, Destination destination) {
    return switch (destination) {
      case Destination.ToQueue queue -> {
        Map<String, String> secret = read(namespace, queue.credentialsSecret(), SQS_FIELD);
        var credentials =
            secret == null
                ? null
                : SecretCredentials.aws(secret, queue.credentialsSecret(), SQS_FIELD);
        yield senders.get(
            new Key(namespace, queue, secret),
            key ->
                RecordSender.queue(
                    SqsClients.of(
                        queue.region() != null ? queue.region() : region,
                        queue.endpoint(),
                        credentials),
                    queue.queueUrl()));
      }
      case Destination.ToTopic topic -> {
        Map<String, String> secret = read(namespace, topic.authSecret(), KAFKA_FIELD);
        Map<String, String> auth = SecretCredentials.kafka(secret, topic.authSecret(), KAFKA_FIELD);
        yield senders.get(
            new Key(namespace, topic, secret),
            key ->
                RecordSender.topic(
                    KafkaConnection.producer(
                        topic.bootstrapServers(), auth, "klambda-" + namespace + "-destination"),
                    topic.topic()));
      }
      case Destination.ToFunction function ->
          throw new IllegalArgumentException(
              "function " + function.name() + " is invoked, not sent to");
    };
  }

  /** The Secret's data; null when none is named. */
  private Map<String, String> read(String namespace, String secret, String field) {
    if (secret == null) {
      return null;
    }
    return secretData
        .get(namespace + "/" + secret, key -> Optional.ofNullable(secrets.read(namespace, secret)))
        .orElseThrow(
            () -> new IllegalStateException(field + ": no Secret " + namespace + "/" + secret));
  }

  private static void closeQuietly(Key key, RecordSender sender) {
    try {
      sender.close();
    } catch (RuntimeException e) {
      LOG.warn(
          "namespace {}: closing the client of {} failed: {}",
          key.namespace(),
          key.destination(),
          e.toString());
    }
  }

  /** Closes every client. */
  @Override
  public void close() {
    senders.invalidateAll();
    senders.cleanUp();
  }
}
