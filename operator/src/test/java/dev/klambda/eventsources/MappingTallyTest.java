package dev.klambda.eventsources;

import static org.assertj.core.api.Assertions.assertThat;

import dev.klambda.eventsources.filter.RecordFilter;
import dev.klambda.eventsources.schedule.ScheduleExpression;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MappingTallyTest {
  private final MappingTally tally = new MappingTally(MappingObserver.NONE);
  private final MappingConfig mapping =
      new MappingConfig(
          "team-a",
          "nightly",
          "uid-1",
          1,
          "report",
          true,
          10,
          Duration.ZERO,
          -1,
          false,
          false,
          null,
          1000,
          RecordFilter.of(List.of()),
          new MappingConfig.Schedule(
              "rate(1 day)",
              ScheduleExpression.parse("rate(1 day)", ZoneOffset.UTC),
              null,
              ZoneOffset.UTC),
          null);

  @Test
  void countsGoOnFromWhatAnEarlierProcessReported() {
    tally.seed(
        "team-a/nightly",
        Map.of(MappingObserver.Event.INVOKED, 40L, MappingObserver.Event.FAILED, 2L));
    tally.counted(mapping, MappingObserver.Event.INVOKED, 3);

    assertThat(tally.counts("team-a/nightly"))
        .containsEntry(MappingObserver.Event.INVOKED, 43L)
        .containsEntry(MappingObserver.Event.FAILED, 2L)
        .containsEntry(MappingObserver.Event.POLLED, 0L);
  }

  @Test
  void aSeedComesTooLateOnceThisProcessCounts() {
    tally.counted(mapping, MappingObserver.Event.INVOKED, 3);
    tally.seed("team-a/nightly", Map.of(MappingObserver.Event.INVOKED, 40L));

    assertThat(tally.counts("team-a/nightly")).containsEntry(MappingObserver.Event.INVOKED, 3L);
  }

  @Test
  void aDeletedMappingMadeAgainCountsFromZero() {
    tally.counted(mapping, MappingObserver.Event.INVOKED, 3);
    tally.forget("team-a/nightly");
    tally.seed("team-a/nightly", Map.of());

    assertThat(tally.counts("team-a/nightly")).containsEntry(MappingObserver.Event.INVOKED, 0L);
  }
}
