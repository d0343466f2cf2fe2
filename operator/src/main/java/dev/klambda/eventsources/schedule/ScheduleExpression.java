package dev.klambda.eventsources.schedule;

import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * EventBridge Scheduler's schedule expressions: {@code rate(5 minutes)} and {@code cron(minutes
 * hours day-of-month month day-of-week year)} with {@code * ? , - /} and month and day names
 * (day-of-week 1 = Sunday). One of day-of-month and day-of-week must be {@code ?}. {@code L},
 * {@code W} and {@code #} are not supported and say so.
 */
public sealed interface ScheduleExpression {
  /** The first time strictly after {@code after} at which the schedule fires. */
  Instant next(Instant after);

  /** Parses an expression; the message of the exception names the rule that is broken. */
  static ScheduleExpression parse(String expression, ZoneId zone) {
    Matcher rate = RATE.matcher(expression.trim());
    if (rate.matches()) {
      return Rate.of(Long.parseLong(rate.group(1)), rate.group(2));
    }
    Matcher cron = CRON.matcher(expression.trim());
    if (cron.matches()) {
      return Cron.of(cron.group(1).trim().split("\\s+"), zone);
    }
    throw new IllegalArgumentException(
        "must be rate(VALUE UNIT) or cron(MINUTES HOURS DAY-OF-MONTH MONTH "
            + "DAY-OF-WEEK YEAR) (got '"
            + expression
            + "')");
  }

  Pattern RATE = Pattern.compile("rate\\((\\d+)\\s+([a-z]+)\\)");
  Pattern CRON = Pattern.compile("cron\\(([^)]*)\\)");

  /** A fixed period from a start. */
  record Rate(Duration period) implements ScheduleExpression {
    static Rate of(long value, String unit) {
      if (value < 1) {
        throw new IllegalArgumentException("rate value must be at least 1");
      }
      ChronoUnit chrono =
          switch (unit) {
            case "minute", "minutes" -> ChronoUnit.MINUTES;
            case "hour", "hours" -> ChronoUnit.HOURS;
            case "day", "days" -> ChronoUnit.DAYS;
            default ->
                throw new IllegalArgumentException(
                    "rate unit must be minute(s), hour(s) or day(s) (got '" + unit + "')");
          };
      return new Rate(Duration.of(value, chrono));
    }

    @Override
    public Instant next(Instant after) {
      return after.plus(period);
    }
  }

  /** A cron expression in a time zone. */
  record Cron(
      BitSet minutes,
      BitSet hours,
      BitSet daysOfMonth,
      BitSet months,
      BitSet daysOfWeek,
      BitSet years,
      boolean anyDayOfMonth,
      ZoneId zone)
      implements ScheduleExpression {
    private static final List<String> MONTHS =
        List.of("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC");
    private static final List<String> DAYS =
        List.of("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT");

    static Cron of(String[] fields, ZoneId zone) {
      if (fields.length != 6) {
        throw new IllegalArgumentException(
            "cron needs 6 fields: minutes hours day-of-month month day-of-week year"
                + " (got "
                + fields.length
                + ")");
      }
      boolean domAny = fields[2].equals("?");
      boolean dowAny = fields[4].equals("?");
      if (domAny == dowAny) {
        throw new IllegalArgumentException(
            "cron: exactly one of day-of-month and day-of-week must be '?'");
      }
      return new Cron(
          field(fields[0], "minutes", 0, 59, List.of()),
          field(fields[1], "hours", 0, 23, List.of()),
          domAny ? null : field(fields[2], "day-of-month", 1, 31, List.of()),
          field(fields[3], "month", 1, 12, MONTHS),
          dowAny ? null : field(fields[4], "day-of-week", 1, 7, DAYS),
          field(fields[5], "year", 1970, 2199, List.of()),
          domAny,
          zone);
    }

    private static BitSet field(String text, String name, int min, int max, List<String> names) {
      if (text.matches(".*[LW#].*")) {
        throw new IllegalArgumentException(
            "cron " + name + ": L, W and # are not supported (got '" + text + "')");
      }
      BitSet values = new BitSet();
      for (String part : text.split(",")) {
        String[] stepped = part.split("/", 2);
        int step = stepped.length == 2 ? number(stepped[1], name, 1, max, List.of()) : 1;
        int from;
        int to;
        if (stepped[0].equals("*")) {
          from = min;
          to = max;
        } else if (stepped[0].contains("-")) {
          String[] range = stepped[0].split("-", 2);
          from = number(range[0], name, min, max, names);
          to = number(range[1], name, min, max, names);
        } else {
          from = number(stepped[0], name, min, max, names);
          to = stepped.length == 2 ? max : from;
        }
        for (int v = from; v <= to; v += step) {
          values.set(v);
        }
      }
      return values;
    }

    private static int number(String text, String name, int min, int max, List<String> names) {
      int named = names.indexOf(text.toUpperCase(Locale.ROOT));
      if (named >= 0) {
        return named + 1;
      }
      try {
        int value = Integer.parseInt(text);
        if (value >= min && value <= max) {
          return value;
        }
      } catch (NumberFormatException ignored) {
        // reported below
      }
      throw new IllegalArgumentException(
          "cron "
              + name
              + " must be from "
              + min
              + " to "
              + max
              + (names.isEmpty() ? "" : " or a name like " + names.getFirst())
              + " (got '"
              + text
              + "')");
    }

    @Override
    public Instant next(Instant after) {
      ZonedDateTime t = after.atZone(zone).truncatedTo(ChronoUnit.MINUTES).plusMinutes(1);
      ZonedDateTime limit = t.plusYears(5);
      while (t.isBefore(limit)) {
        if (!years.get(t.getYear())) {
          t = t.plusYears(1).withDayOfYear(1).truncatedTo(ChronoUnit.DAYS);
        } else if (!months.get(t.getMonthValue())) {
          t = t.plusMonths(1).withDayOfMonth(1).truncatedTo(ChronoUnit.DAYS);
        } else if (!dayMatches(t)) {
          t = t.plusDays(1).truncatedTo(ChronoUnit.DAYS);
        } else if (!hours.get(t.getHour())) {
          t = t.plusHours(1).truncatedTo(ChronoUnit.HOURS);
        } else if (!minutes.get(t.getMinute())) {
          t = t.plusMinutes(1);
        } else {
          return t.toInstant();
        }
      }
      throw new IllegalStateException("the schedule never fires again");
    }

    private boolean dayMatches(ZonedDateTime t) {
      if (anyDayOfMonth) {
        DayOfWeek day = t.getDayOfWeek();
        return daysOfWeek.get(day.getValue() % 7 + 1); // Sunday = 1
      }
      return daysOfMonth.get(t.getDayOfMonth());
    }
  }
}
