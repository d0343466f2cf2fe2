package dev.klambda.eventsources.kafka;

import dev.klambda.destinations.KafkaConnection;
import dev.klambda.eventsources.MappingConfig;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The Kafka consumer settings of a mapping: manual commits, the mapping's group and starting
 * position, and the connection settings of its auth Secret ({@link KafkaConnection}).
 */
final class KafkaClients {
  /**
   * Longer than any invocation (900 s) so a slow batch does not cost the consumer its partitions.
   */
  private static final Duration MAX_POLL_INTERVAL = Duration.ofMinutes(16);

  private static final Duration SESSION_TIMEOUT = Duration.ofSeconds(10);

  private KafkaClients() {}

  static Properties consumer(
      MappingConfig mapping, MappingConfig.Kafka source, Map<String, String> auth) {
    Properties props = KafkaConnection.properties(source.bootstrapServers(), auth);
    props.put(ConsumerConfig.GROUP_ID_CONFIG, groupId(mapping, source));
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, "klambda-" + mapping.key());
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    // only where the group has no committed offset yet, as Lambda's StartingPosition
    props.put(
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
        "TRIM_HORIZON".equals(source.startingPosition()) ? "earliest" : "latest");
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Integer.toString(mapping.batchSize()));
    props.put(
        ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, Long.toString(MAX_POLL_INTERVAL.toMillis()));
    // a stopped operator's partitions move to the next owner this soon (Kafka's default: 45 s)
    props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, Long.toString(SESSION_TIMEOUT.toMillis()));
    // a consumer added for another partition is noticed within a second (Kafka's default: 3 s)
    props.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "1000");
    // a rebalance moves only the partitions that change hands; the others keep being processed
    props.put(
        ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
        CooperativeStickyAssignor.class.getName());
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.put(
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    return props;
  }

  /**
   * The group: as configured, else the mapping's uid (a new mapping of the same name starts a new
   * group, as in Lambda), else (local mode: manifests have no uid) one from its namespace and name.
   */
  static String groupId(MappingConfig mapping, MappingConfig.Kafka source) {
    if (source.consumerGroupId() != null && !source.consumerGroupId().isBlank()) {
      return source.consumerGroupId();
    }
    return mapping.uid() != null
        ? mapping.uid()
        : "klambda-" + mapping.namespace() + "-" + mapping.name();
  }
}
