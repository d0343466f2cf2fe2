package dev.klambda.eventsources.kafka;

import dev.klambda.destinations.RecordSender;
import dev.klambda.eventsources.BatchInvoker;
import dev.klambda.eventsources.MappingConfig;
import dev.klambda.eventsources.MappingObserver;
import dev.klambda.eventsources.Poller;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntConsumer;
import java.util.function.LongConsumer;

/**
 * A Kafka mapping's consumers, all in its group: one to start, then, once the topic's partition
 * count is known, one per partition up to the mapping's maximumConcurrency. Partitions are thus
 * processed concurrently (one batch in flight per consumer), each in order, as Lambda's Kafka
 * pollers do; Kafka's group protocol spreads the partitions over the consumers.
 */
public final class KafkaConsumers implements Poller {
  /** Makes the consumer with this index; it tells the partition count and its offset lag. */
  @FunctionalInterface
  interface Factory {
    KafkaPoller start(int index, IntConsumer partitions, LongConsumer offsetLag);
  }

  private final MappingConfig mapping;
  private final Factory factory;
  private final RecordSender destination;
  private final MappingObserver observer;
  private final List<KafkaPoller> consumers = new ArrayList<>();
  private final Map<Integer, Long> lags = new ConcurrentHashMap<>();
  private boolean closed;

  /**
   * Starts the mapping's first consumer, with the connection settings of its auth Secret.
   *
   * @param auth the checked data of the auth Secret; empty when it names none
   * @param destination where records that failed every retry go; closed with the consumers
   */
  public static KafkaConsumers start(
      MappingConfig mapping,
      MappingConfig.Kafka source,
      Map<String, String> auth,
      BatchInvoker invoker,
      RecordSender destination,
      String region,
      MappingObserver observer) {
    Properties consumerProps = KafkaClients.consumer(mapping, source, auth);
    return new KafkaConsumers(
        mapping,
        (index, partitions, offsetLag) ->
            new KafkaPoller(
                mapping,
                source,
                consumerProps,
                invoker,
                destination,
                mapping.filter(),
                region,
                observer,
                index,
                partitions,
                offsetLag),
        destination,
        observer);
  }

  private KafkaConsumers(
      MappingConfig mapping, Factory factory, RecordSender destination, MappingObserver observer) {
    this.mapping = mapping;
    this.factory = factory;
    this.destination = destination;
    this.observer = observer;
    add();
  }

  private synchronized void scaleTo(int partitions) {
    int target = Math.max(1, Math.min(partitions, mapping.maximumConcurrency()));
    while (!closed && consumers.size() < target) {
      add();
    }
  }

  private void add() {
    int index = consumers.size();
    consumers.add(
        factory.start(
            index,
            this::scaleTo,
            lag -> {
              lags.put(index, lag);
              observer.offsetLag(mapping, lags.values().stream().mapToLong(Long::longValue).sum());
            }));
    observer.pollers(mapping, consumers.size());
  }

  /** A consumer's problem if any has one, else the first consumer's result. */
  @Override
  public synchronized String lastProcessingResult() {
    String first = null;
    for (KafkaPoller consumer : consumers) {
      String result = consumer.lastProcessingResult();
      if (result != null && result.startsWith("PROBLEM")) {
        return result;
      }
      first = first == null ? result : first;
    }
    return first;
  }

  /**
   * Stops every consumer at once (each commits what it finished and leaves the group), then the
   * destination.
   */
  @Override
  public void close() {
    List<KafkaPoller> stopping;
    synchronized (this) {
      closed = true;
      stopping = List.copyOf(consumers);
    }
    List<Thread> closers = stopping.stream().map(c -> Thread.ofVirtual().start(c::close)).toList();
    for (Thread closer : closers) {
      try {
        closer.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    observer.pollers(mapping, 0);
    destination.close();
  }
}
