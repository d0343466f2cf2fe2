package dev.klambda.eventsources.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class ScheduleExpressionTest {
  private static final ZoneId UTC = ZoneOffset.UTC;

  private static Instant next(String expression, String after) {
    return ScheduleExpression.parse(expression, UTC).next(Instant.parse(after));
  }

  @Test
  void ratesFireOnePeriodLater() {
    assertThat(next("rate(5 minutes)", "2026-11-25T10:00:00Z")).isEqualTo("2026-11-25T10:05:00Z");
    assertThat(next("rate(1 hour)", "2026-11-25T10:00:00Z")).isEqualTo("2026-11-25T11:00:00Z");
    assertThat(next("rate(2 days)", "2026-11-25T10:00:00Z")).isEqualTo("2026-11-27T10:00:00Z");
  }

  @Test
  void cronFollowsEventBridge() {
    assertThat(next("cron(0 12 * * ? *)", "2026-11-25T10:00:00Z"))
        .isEqualTo("2026-11-25T12:00:00Z");
    assertThat(next("cron(0 12 * * ? *)", "2026-11-25T12:00:00Z"))
        .isEqualTo("2026-11-26T12:00:00Z");
    assertThat(next("cron(0/15 * * * ? *)", "2026-11-25T10:07:30Z"))
        .isEqualTo("2026-11-25T10:15:00Z");
    assertThat(next("cron(0 18 ? * MON-FRI *)", "2026-11-27T19:00:00Z"))
        .as("Friday evening → Monday")
        .isEqualTo("2026-11-30T18:00:00Z");
    assertThat(next("cron(0 8 1 JAN ? *)", "2026-11-25T10:00:00Z"))
        .isEqualTo("2027-01-01T08:00:00Z");
    assertThat(next("cron(30 9 ? * 1 *)", "2026-11-25T10:00:00Z"))
        .as("1 is Sunday")
        .isEqualTo("2026-11-29T09:30:00Z");
  }

  @Test
  void cronRespectsTheTimeZone() {
    Instant next =
        ScheduleExpression.parse("cron(0 9 * * ? *)", ZoneId.of("Europe/Berlin"))
            .next(Instant.parse("2026-11-25T00:00:00Z"));
    assertThat(next).isEqualTo("2026-11-25T08:00:00Z");
  }

  @Test
  void badExpressionsNameTheRule() {
    assertThatThrownBy(() -> ScheduleExpression.parse("every 5 minutes", UTC))
        .hasMessageContaining("must be rate(");
    assertThatThrownBy(() -> ScheduleExpression.parse("rate(5 seconds)", UTC))
        .hasMessageContaining("rate unit must be minute(s), hour(s) or day(s)");
    assertThatThrownBy(() -> ScheduleExpression.parse("cron(0 12 * * * *)", UTC))
        .hasMessageContaining("exactly one of day-of-month and day-of-week must be '?'");
    assertThatThrownBy(() -> ScheduleExpression.parse("cron(61 12 * * ? *)", UTC))
        .hasMessageContaining("cron minutes must be from 0 to 59 (got '61')");
    assertThatThrownBy(() -> ScheduleExpression.parse("cron(0 12 L * ? *)", UTC))
        .hasMessageContaining("not supported");
  }
}
