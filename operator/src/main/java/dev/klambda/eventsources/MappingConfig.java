package dev.klambda.eventsources;

import dev.klambda.eventsources.filter.RecordFilter;
import dev.klambda.eventsources.schedule.ScheduleExpression;
import dev.klambda.function.Destination;
import java.time.Duration;
import java.time.ZoneId;

/**
 * A validated EventSourceMapping with Lambda's defaults applied; {@code onFailure} null drops the
 * records that failed every retry (logged).
 */
public record MappingConfig(
    String namespace,
    String name,
    String uid,
    long generation,
    String functionName,
    boolean enabled,
    int batchSize,
    Duration batchingWindow,
    int maximumRetryAttempts,
    boolean bisectOnError,
    boolean reportBatchItemFailures,
    Duration maximumRecordAge,
    int maximumConcurrency,
    RecordFilter filter,
    Source source,
    Destination onFailure) {

  /** Where the events come from. */
  public sealed interface Source {}

  public record Schedule(
      String expressionText, ScheduleExpression expression, String input, ZoneId zone)
      implements Source {}

  public record Sqs(String queueUrl, String region, String endpoint, String credentialsSecret)
      implements Source {}

  public record Kafka(
      String bootstrapServers,
      String topic,
      String consumerGroupId,
      String authSecret,
      String startingPosition)
      implements Source {}

  /** {@code namespace/name} of the mapping. */
  public String key() {
    return namespace + "/" + name;
  }

  /** {@code namespace/functionName}, as the gateway's registry finds it. */
  public String functionKey() {
    return namespace + "/" + functionName;
  }

  public boolean sameGeneration(MappingConfig other) {
    return other != null
        && key().equals(other.key())
        && java.util.Objects.equals(uid, other.uid)
        && generation == other.generation;
  }
}
