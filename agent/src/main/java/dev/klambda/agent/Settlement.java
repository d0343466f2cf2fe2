package dev.klambda.agent;

import java.util.ArrayList;
import java.util.List;

/**
 * The measurements of an invocation answered before its Invoke phase ended (the runtime had not yet
 * asked for its next event), once the phase has ended: the gateway metered it at the answer and
 * bills the rest from this. Public: the gateway decodes what the agent encodes.
 *
 * @param answeredMicros the duration the answer carried (event handed out to the answer)
 * @param durationMicros the whole Invoke phase, as in its REPORT line
 */
public record Settlement(
    String requestId, long answeredMicros, long durationMicros, long initDurationMicros) {
  /** For {@link AgentProtocol#SETTLED}: space-separated fields, comma-separated settlements. */
  public static String encode(List<Settlement> settlements) {
    StringBuilder value = new StringBuilder();
    for (Settlement s : settlements) {
      if (!value.isEmpty()) {
        value.append(',');
      }
      value
          .append(s.requestId)
          .append(' ')
          .append(s.answeredMicros)
          .append(' ')
          .append(s.durationMicros)
          .append(' ')
          .append(s.initDurationMicros);
    }
    return value.toString();
  }

  /** The settlements of a {@link AgentProtocol#SETTLED} value; none for null or blank. */
  public static List<Settlement> decode(String value) {
    List<Settlement> settlements = new ArrayList<>();
    if (value == null || value.isBlank()) {
      return settlements;
    }
    for (String entry : value.split(",")) {
      String[] f = entry.trim().split(" ");
      if (f.length != 4) {
        throw new IllegalArgumentException("not a settlement: '" + entry + "'");
      }
      settlements.add(
          new Settlement(f[0], Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3])));
    }
    return settlements;
  }
}
