package dev.klambda.eventsources;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts what each mapping's poller did (for its status) and passes everything on (to the metrics).
 */
final class MappingTally implements MappingObserver {
  private final MappingObserver next;
  private final Map<String, Map<Event, LongAdder>> byMapping = new ConcurrentHashMap<>();

  MappingTally(MappingObserver next) {
    this.next = next;
  }

  @Override
  public void counted(MappingConfig mapping, Event event, long count) {
    byMapping.computeIfAbsent(mapping.key(), key -> zeros()).get(event).add(count);
    next.counted(mapping, event, count);
  }

  private static Map<Event, LongAdder> zeros() {
    Map<Event, LongAdder> counters = new EnumMap<>(Event.class);
    for (Event e : Event.values()) {
      counters.put(e, new LongAdder());
    }
    return counters;
  }

  /**
   * Counts an earlier process reported (the mapping's status): the starting point of a mapping this
   * process has not counted yet, so status counts survive restarts and failovers.
   */
  void seed(String mappingKey, Map<Event, Long> earlier) {
    byMapping.computeIfAbsent(
        mappingKey,
        key -> {
          Map<Event, LongAdder> counters = zeros();
          earlier.forEach((event, count) -> counters.get(event).add(count));
          return counters;
        });
  }

  /** The mapping is gone: one made again under its name counts from zero. */
  void forget(String mappingKey) {
    byMapping.remove(mappingKey);
  }

  @Override
  public void lag(MappingConfig mapping, double seconds) {
    next.lag(mapping, seconds);
  }

  @Override
  public void offsetLag(MappingConfig mapping, long records) {
    next.offsetLag(mapping, records);
  }

  @Override
  public void pollers(MappingConfig mapping, int pollers) {
    next.pollers(mapping, pollers);
  }

  /** The mapping's counts: those seeded, plus what this process counted; empty before any. */
  Map<Event, Long> counts(String mappingKey) {
    Map<Event, Long> counts = new EnumMap<>(Event.class);
    Map<Event, LongAdder> counters = byMapping.get(mappingKey);
    if (counters != null) {
      counters.forEach((event, adder) -> counts.put(event, adder.sum()));
    }
    return counts;
  }
}
