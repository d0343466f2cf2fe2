package dev.klambda.eventsources.kafka;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Kafka poller's position: the partitions the group gave its consumer, and the offsets of batches
 * done (succeeded, filtered or sent to the destination). Done batches are committed asynchronously:
 * offsets are cumulative, so a later commit covers one that failed, and the broker's commit round
 * trip (several ms: Kafka 4 brokers hold offset writes up to {@code
 * group.coordinator.append.linger.ms}) stays off the batch loop. What is done is committed
 * synchronously when partitions move away and before the consumer closes. Used by the poller's
 * thread only, but for {@link #owns}.
 */
final class KafkaOffsets {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaOffsets.class);
  private static final Duration COMMIT_TIMEOUT = Duration.ofSeconds(10);

  private final String mappingKey;
  private final Set<TopicPartition> owned = ConcurrentHashMap.newKeySet();

  /** Done, and not yet known to be committed. */
  private final Map<TopicPartition, OffsetAndMetadata> done = new HashMap<>();

  private boolean commitFailed;

  /**
   * Partitions revoked or lost since the batch in progress was read: its records there are void.
   */
  private final Set<TopicPartition> movedDuringBatch = ConcurrentHashMap.newKeySet();

  KafkaOffsets(String mappingKey) {
    this.mappingKey = mappingKey;
  }

  static TopicPartition partition(ConsumerRecord<?, ?> record) {
    return new TopicPartition(record.topic(), record.partition());
  }

  boolean owns(ConsumerRecord<?, ?> record) {
    return owned.contains(partition(record));
  }

  /**
   * Owned, and not moved away (and maybe back) since the batch was read: its position still holds.
   */
  boolean ownedThroughBatch(ConsumerRecord<?, ?> record) {
    return owns(record) && !movedDuringBatch.contains(partition(record));
  }

  void batchStarts() {
    movedDuringBatch.clear();
  }

  boolean ownsNone() {
    return owned.isEmpty();
  }

  void assigned(Collection<TopicPartition> partitions) {
    owned.addAll(partitions);
  }

  /** The group takes these partitions away (revoked: what is done is committed first). */
  void revoked(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
    commitDone(consumer, partitions);
    owned.removeAll(partitions);
    movedDuringBatch.addAll(partitions);
  }

  /** The consumer lost these partitions (its session ended): nothing can be committed for them. */
  void lost(Collection<TopicPartition> partitions) {
    owned.removeAll(partitions);
    movedDuringBatch.addAll(partitions);
    partitions.forEach(done::remove);
  }

  /**
   * The batch is done: its next offsets, per partition still owned, are committed asynchronously.
   */
  void batchDone(Consumer<?, ?> consumer, List<? extends ConsumerRecord<?, ?>> batch) {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (ConsumerRecord<?, ?> record : batch) {
      if (ownedThroughBatch(record)) {
        offsets.merge(
            partition(record),
            new OffsetAndMetadata(record.offset() + 1),
            (a, b) -> a.offset() >= b.offset() ? a : b);
      }
    }
    if (!offsets.isEmpty()) {
      done.putAll(offsets);
      commitAsync(consumer, offsets);
    }
  }

  /**
   * Commits again what is done when a commit failed (e.g. during a rebalance) and no later batch
   * has covered it: after the last batch there is no next commit to rely on.
   */
  void retryFailedCommits(Consumer<?, ?> consumer) {
    if (commitFailed && !done.isEmpty()) {
      commitFailed = false;
      commitAsync(consumer, Map.copyOf(done));
    }
  }

  /** Callbacks run on the consumer's thread, inside a later poll. */
  private void commitAsync(
      Consumer<?, ?> consumer, Map<TopicPartition, OffsetAndMetadata> offsets) {
    consumer.commitAsync(
        offsets,
        (committed, e) -> {
          if (e == null) {
            committed.forEach(
                (partition, offset) ->
                    done.computeIfPresent(
                        partition,
                        (p, pending) -> pending.offset() <= offset.offset() ? null : pending));
            return;
          }
          commitFailed = true;
          if (!(e instanceof RebalanceInProgressException)
              && !(e instanceof CommitFailedException)) {
            LOG.warn(
                "mapping {}: an offset commit failed (it is retried): {}",
                mappingKey,
                e.toString());
          }
        });
  }

  /** Before the consumer closes: commits what is done and waits for it; then forgets everything. */
  void close(Consumer<?, ?> consumer) {
    commitDone(consumer, List.copyOf(done.keySet()));
    owned.clear();
    done.clear();
  }

  private void commitDone(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (TopicPartition partition : partitions) {
      OffsetAndMetadata offset = done.remove(partition);
      if (offset != null) {
        offsets.put(partition, offset);
      }
    }
    if (offsets.isEmpty()) {
      return;
    }
    try {
      try {
        consumer.commitSync(offsets, COMMIT_TIMEOUT);
      } catch (WakeupException meantForThePoll) {
        consumer.commitSync(offsets, COMMIT_TIMEOUT); // a wakeup is consumed once
      }
    } catch (CommitFailedException | RebalanceInProgressException e) {
      // the group moved them already: their next owner reads from the last commit (duplicates, no
      // loss)
      LOG.info(
          "mapping {}: offsets not committed, the partitions moved: {}",
          mappingKey,
          e.getMessage());
    } catch (KafkaException e) {
      LOG.warn("mapping {}: offsets not committed: {}", mappingKey, e.toString());
    }
  }
}
