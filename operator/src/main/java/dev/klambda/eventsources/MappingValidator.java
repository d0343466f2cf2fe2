package dev.klambda.eventsources;

import dev.klambda.api.EventSource;
import dev.klambda.api.EventSourceMapping;
import dev.klambda.api.EventSourceMappingSpec;
import dev.klambda.function.Destination;
import dev.klambda.function.InvalidFunctionException;
import dev.klambda.function.Violation;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks an EventSourceMapping against Lambda's rules and resolves it, every broken rule reported
 * with its field. Whether the function exists is checked where functions are known.
 */
public final class MappingValidator {
  /** Lambda's default quota of filters per mapping. */
  private static final int MAX_FILTERS = 5;

  public MappingConfig validate(EventSourceMapping mapping) throws InvalidFunctionException {
    List<Violation> violations = new ArrayList<>();
    EventSourceMappingSpec spec = mapping.getSpec();
    if (spec == null) {
      throw new InvalidFunctionException(List.of(new Violation("spec", "is required")));
    }
    if (spec.getFunctionName() == null || spec.getFunctionName().isBlank()) {
      violations.add(new Violation("spec.functionName", "is required"));
    }
    MappingConfig.Source source = source(spec.getSource(), spec, violations);
    boolean kafka = source instanceof MappingConfig.Kafka;
    int batchSize = spec.getBatchSize() != null ? spec.getBatchSize() : kafka ? 100 : 10;
    range(violations, "spec.batchSize", batchSize, 1, 10_000);
    int window = spec.getMaximumBatchingWindowSeconds() != null ? spec.getMaximumBatchingWindowSeconds() : 0;
    range(violations, "spec.maximumBatchingWindowSeconds", window, 0, 300);
    if (source instanceof MappingConfig.Sqs sqs) {
      sqsBatchRules(sqs, batchSize, window, violations);
    }
    int retries = spec.getMaximumRetryAttempts() != null ? spec.getMaximumRetryAttempts() : -1;
    range(violations, "spec.maximumRetryAttempts", retries, -1, 10_000);
    int maxAge = spec.getMaximumRecordAgeSeconds() != null ? spec.getMaximumRecordAgeSeconds() : -1;
    if (maxAge != -1) {
      range(violations, "spec.maximumRecordAgeSeconds", maxAge, 60, 604_800);
    }
    int concurrency = spec.getMaximumConcurrency() != null ? spec.getMaximumConcurrency() : 1000;
    range(violations, "spec.maximumConcurrency", concurrency, 2, 1000);
    List<String> responseTypes = spec.getFunctionResponseTypes() == null ? List.of() : spec.getFunctionResponseTypes();
    for (String type : responseTypes) {
      if (!type.equals("ReportBatchItemFailures")) {
        violations.add(new Violation("spec.functionResponseTypes", "may hold only ReportBatchItemFailures (got '" + type + "')"));
      }
    }
    Destination onFailure = Destination.of(spec.getDestinationConfig() == null ? null
        : spec.getDestinationConfig().getOnFailure(), "spec.destinationConfig.onFailure", violations);
    if (onFailure instanceof Destination.ToTopic && source != null && !kafka) {
      violations.add(new Violation("spec.destinationConfig.onFailure.kafka",
          "needs a Kafka source: the topic is on the source's cluster"));
    }
    functionOnly(onFailure, violations);
    RecordFilter filter = filter(spec, violations);
    if (!violations.isEmpty()) {
      throw new InvalidFunctionException(violations);
    }
    Long generation = mapping.getMetadata().getGeneration();
    String namespace = mapping.getMetadata().getNamespace();
    return new MappingConfig(namespace == null ? "default" : namespace, mapping.getMetadata().getName(),
        mapping.getMetadata().getUid(), generation == null ? 1 : generation, spec.getFunctionName(),
        spec.getEnabled() == null || spec.getEnabled(), batchSize, Duration.ofSeconds(window), retries,
        Boolean.TRUE.equals(spec.getBisectBatchOnFunctionError()), responseTypes.contains("ReportBatchItemFailures"),
        maxAge == -1 ? null : Duration.ofSeconds(maxAge), concurrency, filter, source, onFailure);
  }

  /**
   * What only a Function's destinations name: a mapping sends to its queue with the operator's AWS
   * credentials and to a topic on its source's cluster, with the source's auth Secret.
   */
  private static void functionOnly(Destination onFailure, List<Violation> violations) {
    String field = "spec.destinationConfig.onFailure.";
    if (onFailure instanceof Destination.ToQueue queue && queue.credentialsSecret() != null) {
      violations.add(new Violation(field + "sqs.credentialsSecretRef", "is for a Function's destinations: a "
          + "mapping's queue is sent to with the operator's AWS credentials"));
    }
    if (onFailure instanceof Destination.ToTopic topic && topic.bootstrapServers() != null) {
      violations.add(new Violation(field + "kafka.bootstrapServers", "is for a Function's destinations: a "
          + "mapping's topic is on its source's cluster"));
    }
    if (onFailure instanceof Destination.ToTopic topic && topic.authSecret() != null) {
      violations.add(new Violation(field + "kafka.authSecretRef", "is for a Function's destinations: a "
          + "mapping's topic is reached with its source's authSecretRef"));
    }
  }

  /**
   * Lambda's CreateEventSourceMapping rules for SQS batches: a batch of more than 10 needs a
   * batching window of at least 1 s, and a FIFO queue's batch is at most 10.
   */
  private static void sqsBatchRules(MappingConfig.Sqs sqs, int batchSize, int window, List<Violation> violations) {
    if (batchSize > 10 && window < 1) {
      violations.add(new Violation("spec.maximumBatchingWindowSeconds", "must be at least 1 when spec.batchSize "
          + "is over 10 for an SQS source (got " + window + " with a batch size of " + batchSize + ")"));
    }
    if (sqs.queueUrl() != null && sqs.queueUrl().endsWith(".fifo") && batchSize > 10) {
      violations.add(new Violation("spec.batchSize", "must be between 1 and 10 for a FIFO queue (got " + batchSize
          + ")"));
    }
  }

  private static RecordFilter filter(EventSourceMappingSpec spec, List<Violation> violations) {
    var criteria = spec.getFilterCriteria();
    List<String> patterns = new ArrayList<>();
    if (criteria != null && criteria.getFilters() != null) {
      if (criteria.getFilters().size() > MAX_FILTERS) {
        violations.add(new Violation("spec.filterCriteria.filters", "may hold at most " + MAX_FILTERS + " filters (got "
            + criteria.getFilters().size() + ")"));
        return null;
      }
      criteria.getFilters().forEach(f -> patterns.add(f == null ? null : f.getPattern()));
    }
    try {
      return RecordFilter.of(patterns);
    } catch (IllegalArgumentException e) {
      violations.add(new Violation("spec." + e.getMessage().replaceFirst(":.*", ""),
          e.getMessage().replaceFirst("^[^:]*: ", "")));
      return null;
    }
  }

  private static MappingConfig.Source source(EventSource source, EventSourceMappingSpec spec, List<Violation> violations) {
    int count = source == null ? 0
        : (source.getSqs() != null ? 1 : 0) + (source.getKafka() != null ? 1 : 0) + (source.getSchedule() != null ? 1 : 0);
    if (count != 1) {
      violations.add(new Violation("spec.source", "must set exactly one of sqs, kafka and schedule (got " + count + ")"));
      return null;
    }
    if (source.getSchedule() != null) {
      var schedule = source.getSchedule();
      ZoneId zone = ZoneId.of("UTC");
      try {
        if (schedule.getTimezone() != null) {
          zone = ZoneId.of(schedule.getTimezone());
        }
      } catch (DateTimeException e) {
        violations.add(new Violation("spec.source.schedule.timezone", "must be a time zone like Europe/Berlin (got '"
            + schedule.getTimezone() + "')"));
      }
      try {
        String text = schedule.getExpression() == null ? "" : schedule.getExpression();
        return new MappingConfig.Schedule(text, ScheduleExpression.parse(text, zone), schedule.getInput(), zone);
      } catch (IllegalArgumentException e) {
        violations.add(new Violation("spec.source.schedule.expression", e.getMessage()));
        return null;
      }
    }
    if (source.getSqs() != null) {
      var sqs = source.getSqs();
      if (sqs.getQueueUrl() == null || sqs.getQueueUrl().isBlank()) {
        violations.add(new Violation("spec.source.sqs.queueUrl", "is required"));
      }
      return new MappingConfig.Sqs(sqs.getQueueUrl(), sqs.getRegion(), sqs.getEndpoint(),
          sqs.getCredentialsSecretRef() == null ? null : sqs.getCredentialsSecretRef().getName());
    }
    var kafka = source.getKafka();
    if (kafka.getBootstrapServers() == null || kafka.getBootstrapServers().isBlank()) {
      violations.add(new Violation("spec.source.kafka.bootstrapServers", "is required"));
    }
    if (kafka.getTopic() == null || kafka.getTopic().isBlank()) {
      violations.add(new Violation("spec.source.kafka.topic", "is required"));
    }
    return new MappingConfig.Kafka(kafka.getBootstrapServers(), kafka.getTopic(), kafka.getConsumerGroupId(),
        kafka.getAuthSecretRef() == null ? null : kafka.getAuthSecretRef().getName(),
        spec.getStartingPosition() == null ? "LATEST" : spec.getStartingPosition());
  }

  private static void range(List<Violation> violations, String field, int value, int min, int max) {
    if (value < min || value > max) {
      violations.add(new Violation(field, "must be between " + min + " and " + max + " (got " + value + ")"));
    }
  }
}
