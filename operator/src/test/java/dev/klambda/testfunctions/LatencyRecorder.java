package dev.klambda.testfunctions;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * The trivial event-source function of {@code EventSourceBenchmark}: for each record of an SQS or
 * Kafka batch it appends {@code handledAtMs latencyMs id} to the file named by $LATENCY_FILE (id:
 * the SQS body or the Kafka value, which the benchmark makes unique), where latency = now − the
 * record's enqueue time (SQS {@code attributes.SentTimestamp}, Kafka {@code timestamp}; both epoch
 * ms on this machine's clock). One {@code write} per invocation on an O_APPEND file, so
 * environments running in parallel do not interleave lines.
 */
public class LatencyRecorder implements RequestHandler<Map<String, Object>, String> {
  private static FileOutputStream out;

  @Override
  public String handleRequest(Map<String, Object> event, Context context) {
    long now = System.currentTimeMillis();
    StringBuilder lines = new StringBuilder();
    if (event.get("Records") instanceof List<?> records) { // SQS
      for (Object record : records) {
        Map<?, ?> message = (Map<?, ?>) record;
        long sent =
            Long.parseLong((String) ((Map<?, ?>) message.get("attributes")).get("SentTimestamp"));
        line(lines, now, sent, (String) message.get("body"));
      }
    } else if (event.get("records") instanceof Map<?, ?> byPartition) { // Kafka
      for (Object partition : byPartition.values()) {
        for (Object record : (List<?>) partition) {
          Map<?, ?> r = (Map<?, ?>) record;
          String id =
              new String(
                  Base64.getDecoder().decode((String) r.get("value")), StandardCharsets.UTF_8);
          line(lines, now, ((Number) r.get("timestamp")).longValue(), id);
        }
      }
    }
    write(lines.toString().getBytes(StandardCharsets.UTF_8));
    return "ok";
  }

  private static void line(StringBuilder lines, long now, long enqueued, String id) {
    lines.append(now).append(' ').append(now - enqueued).append(' ').append(id).append('\n');
  }

  private static synchronized void write(byte[] bytes) {
    try {
      if (out == null) {
        out = new FileOutputStream(System.getenv("LATENCY_FILE"), true);
      }
      out.write(bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
