package dev.klambda.metering;

import dev.klambda.eventsources.MappingConfig;
import dev.klambda.eventsources.MappingObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/** The klambda_esm_* metrics, per mapping (labels namespace, mapping, function). */
final class MappingMeters implements MappingObserver {
  private record Meters(
      Map<Event, Counter> counters,
      AtomicReference<Double> lag,
      AtomicLong offsetLag,
      AtomicLong pollers) {}

  private final MeterRegistry registry;
  private final Map<String, Meters> byMapping = new ConcurrentHashMap<>();

  MappingMeters(MeterRegistry registry) {
    this.registry = registry;
  }

  @Override
  public void counted(MappingConfig mapping, Event event, long count) {
    meters(mapping).counters().get(event).increment(count);
  }

  @Override
  public void lag(MappingConfig mapping, double seconds) {
    meters(mapping).lag().set(seconds);
  }

  @Override
  public void offsetLag(MappingConfig mapping, long records) {
    meters(mapping).offsetLag().set(records);
  }

  @Override
  public void pollers(MappingConfig mapping, int pollers) {
    meters(mapping).pollers().set(pollers);
  }

  private Meters meters(MappingConfig mapping) {
    return byMapping.computeIfAbsent(
        mapping.key(),
        key -> {
          Tags tags =
              Tags.of(
                  "namespace",
                  mapping.namespace(),
                  "mapping",
                  mapping.name(),
                  "function",
                  mapping.functionName());
          Map<Event, Counter> counters = new EnumMap<>(Event.class);
          counters.put(
              Event.POLLED,
              counter("klambda.esm.events.polled", "Records read from the source", tags));
          counters.put(
              Event.FILTERED,
              counter(
                  "klambda.esm.events.filtered",
                  "Records no filter matched: consumed without an invocation",
                  tags));
          counters.put(
              Event.INVOKED,
              counter("klambda.esm.events.invoked", "Records handed to the function", tags));
          counters.put(
              Event.FAILED,
              counter("klambda.esm.events.failed", "Records the function failed on", tags));
          counters.put(
              Event.SENT_TO_DESTINATION,
              counter(
                  "klambda.esm.events.sent.to.destination",
                  "Records sent to the on-failure destination",
                  tags));
          counters.put(
              Event.BATCH, counter("klambda.esm.batches", "Invocations with a batch", tags));
          counters.put(
              Event.DELETE_FAILED,
              counter(
                  "klambda.esm.delete.failures",
                  "SQS messages the queue did not delete (after retries): they come back and are handled again",
                  tags));
          AtomicReference<Double> lag = new AtomicReference<>(0.0);
          Gauge.builder("klambda.esm.lag", lag, AtomicReference::get)
              .baseUnit("seconds")
              .tags(tags)
              .description("Age of the oldest record of the latest batch")
              .register(registry);
          AtomicLong offsetLag = new AtomicLong();
          Gauge.builder("klambda.esm.offset.lag", offsetLag, AtomicLong::get)
              .tags(tags)
              .description("Kafka: records of the topic not yet read by the mapping's consumer")
              .register(registry);
          AtomicLong pollers = new AtomicLong();
          Gauge.builder("klambda.esm.pollers", pollers, AtomicLong::get)
              .tags(tags)
              .description(
                  "Pollers (SQS) or consumers (Kafka) reading the source, each with one batch in flight")
              .register(registry);
          return new Meters(counters, lag, offsetLag, pollers);
        });
  }

  private Counter counter(String name, String description, Tags tags) {
    return Counter.builder(name).description(description).tags(tags).register(registry);
  }
}
