package dev.klambda.agent;

/**
 * Lambda's REPORT line, which ends every invocation's log. Built by hand rather than with {@code
 * String.format}, which parses its pattern on every call: this runs once per invocation.
 */
final class ReportLine {
  private ReportLine() {}

  /**
   * @param initMicros the Init before this invocation (a cold start), or 0: no Init Duration then
   * @param status null for a phase that ended with the runtime's next request, else what follows
   *     {@code Status: }
   */
  static String of(
      String requestId,
      long durationMicros,
      long billedMillis,
      int memoryMB,
      long maxMemoryMB,
      long initMicros,
      String status) {
    StringBuilder line =
        new StringBuilder(200)
            .append("REPORT RequestId: ")
            .append(requestId)
            .append("\tDuration: ");
    millis(line, durationMicros)
        .append(" ms\tBilled Duration: ")
        .append(billedMillis)
        .append(" ms\tMemory Size: ")
        .append(memoryMB)
        .append(" MB\tMax Memory Used: ")
        .append(maxMemoryMB)
        .append(" MB");
    if (initMicros > 0) {
      millis(line.append("\tInit Duration: "), initMicros).append(" ms");
    }
    if (status != null) {
      line.append("\tStatus: ").append(status);
    }
    return line.toString();
  }

  /**
   * Microseconds as milliseconds with two decimals, rounded half up, as {@code %.2f} prints them.
   */
  static StringBuilder millis(StringBuilder to, long micros) {
    long hundredths = (micros + 5) / 10;
    long fraction = hundredths % 100;
    return to.append(hundredths / 100)
        .append('.')
        .append(fraction < 10 ? "0" : "")
        .append(fraction);
  }
}
