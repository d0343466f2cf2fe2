package dev.klambda.eventsources.kafka;

import dev.klambda.destinations.Backoff;
import dev.klambda.destinations.RecordSender;
import dev.klambda.environments.InvocationResult;
import dev.klambda.eventsources.BatchInvoker;
import dev.klambda.eventsources.MappingConfig;
import dev.klambda.eventsources.MappingObserver;
import dev.klambda.eventsources.Poller;
import dev.klambda.eventsources.filter.RecordFilter;
import dev.klambda.function.FunctionConfig;
import dev.klambda.routing.ServiceException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.function.IntConsumer;
import java.util.function.LongConsumer;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One consumer of a Kafka mapping ({@link KafkaConsumers} runs one per partition, up to the
 * mapping's maximumConcurrency): a consumer in the mapping's group, batches by size and batching
 * window across the partitions it owns, one synchronous invocation per batch, offsets committed
 * only once every record of the batch succeeded or went to the on-failure destination. A failing
 * batch is retried (from the lowest reported offset per partition with ReportBatchItemFailures),
 * bisected when asked, and after the retries sent to the destination; until then the partitions
 * wait, which keeps each partition in order. Closing mid-batch commits nothing: the group's next
 * consumer reads the batch again (at least once).
 */
final class KafkaPoller implements Poller {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaPoller.class);

  /** With a destination and no retry limit, Lambda stops after 10 retries rather than never. */
  private static final int RETRIES_WITH_DESTINATION = 10;

  private static final Duration IDLE_POLL = Duration.ofMillis(500);
  private static final Duration FIRST_BACKOFF = Duration.ofMillis(200);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(10);

  /** How long without partitions before the source is reported unreachable. */
  private static final Duration UNASSIGNED_PROBLEM = Duration.ofSeconds(15);

  private static final Duration LEAVE_TIMEOUT = Duration.ofSeconds(5);

  /** How long a closing poller gets to notice the wakeup before it is interrupted. */
  private static final Duration WAKEUP_GRACE = Duration.ofMillis(500);

  private final MappingConfig mapping;
  private final MappingConfig.Kafka source;
  private final Properties consumerProps;
  private final BatchInvoker invoker;
  private final RecordSender destination;
  private final RecordFilter filter;
  private final MappingObserver observer;
  private final String functionArn;
  private final int retries;
  private final KafkaOffsets offsets;
  private final IntConsumer partitions;
  private final LongConsumer offsetLag;
  private boolean partitionsTold;
  private final ArrayDeque<ConsumerRecord<byte[], byte[]>> pending = new ArrayDeque<>();
  private final Thread thread;
  private volatile Consumer<byte[], byte[]> consumer;
  private volatile String lastProcessingResult = "No records processed";
  private volatile boolean closed;

  /** Set while the consumer commits and closes: no interrupt may reach it then. */
  private volatile boolean leaving;

  /**
   * @param partitions told the topic's partition count once this consumer has partitions
   * @param offsetLag told the records of its partitions not yet read, after every poll
   */
  KafkaPoller(
      MappingConfig mapping,
      MappingConfig.Kafka source,
      Properties consumerProps,
      BatchInvoker invoker,
      RecordSender destination,
      RecordFilter filter,
      String region,
      MappingObserver observer,
      int index,
      IntConsumer partitions,
      LongConsumer offsetLag) {
    this.mapping = mapping;
    this.source = source;
    this.consumerProps = new Properties();
    this.consumerProps.putAll(consumerProps);
    // a client id of its own: the group's consumers are told apart in the broker's logs and JMX
    this.consumerProps.put(
        ConsumerConfig.CLIENT_ID_CONFIG,
        consumerProps.get(ConsumerConfig.CLIENT_ID_CONFIG) + "-" + index);
    this.invoker = invoker;
    this.destination = destination;
    this.filter = filter;
    this.observer = observer;
    this.partitions = partitions;
    this.offsetLag = offsetLag;
    this.offsets = new KafkaOffsets(mapping.key());
    this.functionArn = FunctionConfig.arn(region, mapping.namespace(), mapping.functionName());
    this.retries =
        mapping.maximumRetryAttempts() < 0 && mapping.onFailure() != null
            ? RETRIES_WITH_DESTINATION
            : mapping.maximumRetryAttempts();
    this.thread =
        Thread.ofPlatform().daemon().name("kafka-" + mapping.key() + "-" + index).start(this::run);
  }

  @Override
  public String lastProcessingResult() {
    return lastProcessingResult;
  }

  /** Connects (again after any failure of the source) until closed. */
  private void run() {
    Backoff backoff = new Backoff(FIRST_BACKOFF, MAX_BACKOFF);
    while (!closed) {
      Consumer<byte[], byte[]> c = null;
      try {
        c = new KafkaConsumer<>(consumerProps);
        consumer = c;
        c.subscribe(List.of(source.topic()), new Ownership());
        consume(c);
      } catch (WakeupException | InterruptException | InterruptedException e) {
        // closing
      } catch (AuthenticationException | AuthorizationException e) {
        lastProcessingResult = "PROBLEM: credentials rejected: " + e.getMessage();
      } catch (KafkaException e) {
        lastProcessingResult = "PROBLEM: source unreachable: " + e.getMessage();
      } catch (RuntimeException e) {
        // e.g. an on-failure destination that is down: nothing of the batch was committed, so
        // reconnecting reads it again
        lastProcessingResult = "PROBLEM: " + e;
      } finally {
        leave(c);
      }
      if (closed || !Backoff.sleep(backoff.next())) {
        return;
      }
    }
  }

  /**
   * Commits what is done and leaves the group at once (not after a session timeout), so its next
   * consumer starts sooner.
   */
  private void leave(Consumer<byte[], byte[]> c) {
    leaving = true;
    pending.clear();
    if (c != null) {
      boolean interrupted = Thread.interrupted(); // an interrupted close would skip the LeaveGroup
      try {
        offsets.close(c);
        c.close(CloseOptions.timeout(LEAVE_TIMEOUT));
      } catch (KafkaException e) {
        LOG.warn("mapping {}: closing its Kafka consumer failed: {}", mapping.key(), e.toString());
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
    leaving = false;
  }

  private void consume(Consumer<byte[], byte[]> c) throws InterruptedException {
    long unassignedSince = System.nanoTime();
    while (!closed) {
      List<ConsumerRecord<byte[], byte[]>> batch = collect(c);
      if (offsets.ownsNone()
          && System.nanoTime() - unassignedSince > UNASSIGNED_PROBLEM.toNanos()) {
        lastProcessingResult =
            "PROBLEM: source unreachable: no partition of topic "
                + source.topic()
                + " assigned from "
                + source.bootstrapServers();
      } else if (!offsets.ownsNone()) {
        unassignedSince = System.nanoTime();
        if (!partitionsTold) {
          partitions.accept(c.partitionsFor(source.topic()).size());
          partitionsTold = true;
        }
      }
      reportLag(c);
      offsets.retryFailedCommits(c);
      if (!batch.isEmpty()) {
        process(c, batch);
      }
    }
  }

  /** Up to batchSize records, gathered for at most the batching window once the first arrived. */
  private List<ConsumerRecord<byte[], byte[]>> collect(Consumer<byte[], byte[]> c) {
    List<ConsumerRecord<byte[], byte[]>> batch = new ArrayList<>();
    while (!pending.isEmpty() && batch.size() < mapping.batchSize()) {
      batch.add(pending.poll());
    }
    long deadline = System.nanoTime() + mapping.batchingWindow().toNanos();
    while (!closed && batch.size() < mapping.batchSize()) {
      long left = deadline - System.nanoTime();
      if (!batch.isEmpty() && left <= 0) {
        break;
      }
      for (ConsumerRecord<byte[], byte[]> record :
          c.poll(batch.isEmpty() ? IDLE_POLL : Duration.ofNanos(left))) {
        (batch.size() < mapping.batchSize() ? batch : pending).add(record);
      }
      if (batch.isEmpty()) {
        return batch; // nothing yet: back to the caller, which reports lag and the source's state
      }
    }
    batch.removeIf(record -> !offsets.owns(record));
    return batch;
  }

  private void process(Consumer<byte[], byte[]> c, List<ConsumerRecord<byte[], byte[]>> batch)
      throws InterruptedException {
    count(MappingObserver.Event.POLLED, batch.size());
    long oldest = batch.stream().mapToLong(ConsumerRecord::timestamp).min().orElseThrow();
    observer.lag(mapping, Math.max(0, System.currentTimeMillis() - oldest) / 1000.0);
    List<ConsumerRecord<byte[], byte[]>> fresh = new ArrayList<>();
    List<ConsumerRecord<byte[], byte[]>> expired = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> record : batch) {
      if (mapping.maximumRecordAge() != null
          && Instant.ofEpochMilli(record.timestamp())
              .plus(mapping.maximumRecordAge())
              .isBefore(Instant.now())) {
        expired.add(record);
      } else if (filter.isEmpty()
          || filter.accepts(RecordFilter.kafkaView(KafkaRecords.record(record)))) {
        fresh.add(record);
      } else {
        count(MappingObserver.Event.FILTERED, 1);
      }
    }
    toDestination(expired, "RecordAgeExceeded", 0, null);
    // the partitions wait while their batch is retried, but the consumer keeps polling (paused)
    // so the group does not take them away
    offsets.batchStarts();
    c.pause(c.assignment());
    try {
      deliver(c, fresh, false);
    } finally {
      c.resume(c.paused());
    }
    if (!closed) {
      offsets.batchDone(c, batch); // a poller closed mid-batch marks nothing of it done
    }
  }

  /** Invokes until the records succeeded, went to the destination, or their partitions moved. */
  /**
   * @param half a bisected half (else the batch just collected)
   */
  private void deliver(
      Consumer<byte[], byte[]> c, List<ConsumerRecord<byte[], byte[]>> records, boolean half)
      throws InterruptedException {
    int attempts = 0;
    Backoff backoff = new Backoff(FIRST_BACKOFF, MAX_BACKOFF);
    List<ConsumerRecord<byte[], byte[]>> remaining = records;
    if (half) {
      // every invocation follows a poll (a batch's first, the collecting one; a retry, its wait):
      // a chain of slow halves cannot outlast max.poll.interval, and partitions revoked
      // meanwhile are dropped just below
      stayInGroup(c, Duration.ZERO);
    }
    while (true) {
      remaining = remaining.stream().filter(offsets::ownedThroughBatch).toList();
      if (remaining.isEmpty() || closed) {
        return;
      }
      Attempt attempt = invoke(remaining);
      if (attempt.failed().isEmpty()) {
        return;
      }
      if (attempt.counts()) {
        attempts++;
        count(MappingObserver.Event.FAILED, attempt.failed().size());
        if (mapping.bisectOnError() && attempt.failed().size() > 1) {
          List<ConsumerRecord<byte[], byte[]>> failed = attempt.failed();
          deliver(c, failed.subList(0, failed.size() / 2), true);
          deliver(c, failed.subList(failed.size() / 2, failed.size()), true);
          return;
        }
        if (retries >= 0 && attempts > retries) {
          toDestination(attempt.failed(), "RetryAttemptsExhausted", attempts, attempt.error());
          return;
        }
      }
      remaining = attempt.failed();
      stayInGroup(c, backoff.next());
    }
  }

  /**
   * Polls with every partition paused: the consumer stays in its group (and takes part in a
   * rebalance) while a batch is retried or bisected, and reads nothing new meanwhile (what a poll
   * returns anyway is kept, in order, for the next batches).
   */
  private void stayInGroup(Consumer<byte[], byte[]> c, Duration wait) {
    c.pause(c.assignment());
    c.poll(wait).forEach(pending::add);
  }

  /**
   * One invocation: the records that failed (none on success), and whether the failure counts as an
   * attempt: a missing function or throttling did not run the batch, so it only waits.
   */
  private record Attempt(
      List<ConsumerRecord<byte[], byte[]>> failed, String error, boolean counts) {}

  private Attempt invoke(List<ConsumerRecord<byte[], byte[]>> records) throws InterruptedException {
    count(MappingObserver.Event.INVOKED, records.size());
    count(MappingObserver.Event.BATCH, 1);
    try (InvocationResult result =
        invoker.invoke(
            mapping.functionKey(), KafkaRecords.event(source.bootstrapServers(), records))) {
      if (result.functionError()) {
        lastProcessingResult = "PROBLEM: function error " + result.errorType();
        return new Attempt(records, "Unhandled", true);
      }
      if (!mapping.reportBatchItemFailures()) {
        lastProcessingResult = "OK";
        return new Attempt(List.of(), null, true);
      }
      Map<TopicPartition, Long> failedFrom =
          KafkaRecords.batchItemFailures(result.payloadBytes(), source.topic());
      if (failedFrom == null) {
        lastProcessingResult = "PROBLEM: function error an invalid batchItemFailures response";
        return new Attempt(records, "Unhandled", true);
      }
      List<ConsumerRecord<byte[], byte[]>> failed =
          records.stream()
              .filter(
                  r ->
                      r.offset()
                          >= failedFrom.getOrDefault(KafkaOffsets.partition(r), Long.MAX_VALUE))
              .toList();
      lastProcessingResult =
          failed.isEmpty() ? "OK" : "PROBLEM: " + failed.size() + " record(s) reported failed";
      return new Attempt(failed, "Unhandled", true);
    } catch (ServiceException e) {
      boolean notRun = e.status() == 404 || e.status() == 429;
      lastProcessingResult =
          e.status() == 404
              ? "PROBLEM: function missing: " + e.getMessage()
              : "PROBLEM: " + e.type() + ": " + e.getMessage();
      return new Attempt(records, e.type(), !notRun);
    }
  }

  /**
   * One on-failure record per partition; the offsets are committed after (the send must succeed).
   */
  private void toDestination(
      List<ConsumerRecord<byte[], byte[]>> records,
      String condition,
      int invokeCount,
      String functionError) {
    Map<TopicPartition, List<ConsumerRecord<byte[], byte[]>>> byPartition = new LinkedHashMap<>();
    records.forEach(
        record ->
            byPartition
                .computeIfAbsent(KafkaOffsets.partition(record), p -> new ArrayList<>())
                .add(record));
    for (List<ConsumerRecord<byte[], byte[]>> partitionRecords : byPartition.values()) {
      destination.send(
          KafkaRecords.failureRecord(
              partitionRecords,
              source.bootstrapServers(),
              functionArn,
              condition,
              invokeCount,
              functionError));
      count(MappingObserver.Event.SENT_TO_DESTINATION, partitionRecords.size());
    }
  }

  private void reportLag(Consumer<byte[], byte[]> c) {
    long lag = 0;
    for (TopicPartition partition : c.assignment()) {
      lag += c.currentLag(partition).orElse(0);
    }
    offsetLag.accept(lag);
  }

  /** Follows the partitions the group gives this consumer; records of one it lost are dropped. */
  private final class Ownership implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      offsets.assigned(partitions);
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      offsets.revoked(consumer, partitions);
      forget(partitions);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      offsets.lost(partitions);
      forget(partitions);
    }

    private void forget(Collection<TopicPartition> partitions) {
      Set<TopicPartition> gone = new HashSet<>(partitions);
      pending.removeIf(record -> gone.contains(KafkaOffsets.partition(record)));
    }
  }

  private void count(MappingObserver.Event event, long n) {
    if (n > 0) {
      observer.counted(mapping, event, n);
    }
  }

  @Override
  public void close() {
    closed = true;
    Consumer<byte[], byte[]> c = consumer;
    if (c != null) {
      c.wakeup(); // ends a poll; an invocation in progress needs the interrupt below
    }
    try {
      thread.join(WAKEUP_GRACE);
      if (thread.isAlive() && !leaving) {
        thread.interrupt();
      }
      thread.join(Duration.ofSeconds(30));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
