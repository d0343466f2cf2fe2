package dev.klambda.eventsources;

import dev.klambda.api.EventSource;
import dev.klambda.api.EventSourceMapping;
import dev.klambda.api.EventSourceMappingSpec;
import dev.klambda.eventsources.filter.RecordFilter;
import dev.klambda.eventsources.schedule.ScheduleExpression;
import dev.klambda.function.Destination;
import dev.klambda.function.InvalidFunctionException;
import dev.klambda.function.Violation;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Checks an EventSourceMapping against Lambda's rules and resolves it, every broken rule reported
 * with its field. Whether the function exists is checked where functions are known.
 */
public final class MappingValidator {
  /** Lambda's default quota of filters per mapping. */
  private static final int MAX_FILTERS = 5;

  /** CreateEventSourceMapping's longest filter pattern, in characters. */
  private static final int MAX_PATTERN_LENGTH = 4096;

  /**
   * A topic name as Kafka allows it (at most 249 of these), and not starting with a dot, as
   * Lambda's Topics.
   */
  private static final Pattern TOPIC = Pattern.compile("[a-zA-Z0-9_-][a-zA-Z0-9._-]{0,248}");

  /** SelfManagedKafkaEventSourceConfig.ConsumerGroupId: 1 to 200 of these. */
  private static final Pattern CONSUMER_GROUP = Pattern.compile("[a-zA-Z0-9/*:_+=.@-]{1,200}");

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
    int window =
        spec.getMaximumBatchingWindowSeconds() != null ? spec.getMaximumBatchingWindowSeconds() : 0;
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
    List<String> responseTypes =
        spec.getFunctionResponseTypes() == null ? List.of() : spec.getFunctionResponseTypes();
    for (String type : responseTypes) {
      if (!type.equals("ReportBatchItemFailures")) {
        violations.add(
            new Violation(
                "spec.functionResponseTypes",
                "may hold only ReportBatchItemFailures (got '" + type + "')"));
      }
    }
    Destination onFailure =
        Destination.of(
            spec.getDestinationConfig() == null ? null : spec.getDestinationConfig().getOnFailure(),
            "spec.destinationConfig.onFailure",
            violations);
    if (onFailure instanceof Destination.ToTopic && source != null && !kafka) {
      violations.add(
          new Violation(
              "spec.destinationConfig.onFailure.kafka",
              "needs a Kafka source: the topic is on the source's cluster"));
    }
    functionOnly(onFailure, violations);
    RecordFilter filter = filter(spec, violations);
    if (!violations.isEmpty()) {
      throw new InvalidFunctionException(violations);
    }
    Long generation = mapping.getMetadata().getGeneration();
    String namespace = mapping.getMetadata().getNamespace();
    return new MappingConfig(
        namespace == null ? "default" : namespace,
        mapping.getMetadata().getName(),
        mapping.getMetadata().getUid(),
        generation == null ? 1 : generation,
        spec.getFunctionName(),
        spec.getEnabled() == null || spec.getEnabled(),
        batchSize,
        Duration.ofSeconds(window),
        retries,
        Boolean.TRUE.equals(spec.getBisectBatchOnFunctionError()),
        responseTypes.contains("ReportBatchItemFailures"),
        maxAge == -1 ? null : Duration.ofSeconds(maxAge),
        concurrency,
        filter,
        source,
        onFailure);
  }

  /**
   * What only a Function's destinations name: a mapping sends to its queue with the operator's AWS
   * credentials and to a topic on its source's cluster, with the source's auth Secret.
   */
  private static void functionOnly(Destination onFailure, List<Violation> violations) {
    String field = "spec.destinationConfig.onFailure.";
    if (onFailure instanceof Destination.ToQueue queue && queue.credentialsSecret() != null) {
      violations.add(
          new Violation(
              field + "sqs.credentialsSecretRef",
              "is for a Function's destinations: a "
                  + "mapping's queue is sent to with the operator's AWS credentials"));
    }
    if (onFailure instanceof Destination.ToTopic topic && topic.bootstrapServers() != null) {
      violations.add(
          new Violation(
              field + "kafka.bootstrapServers",
              "is for a Function's destinations: a "
                  + "mapping's topic is on its source's cluster"));
    }
    if (onFailure instanceof Destination.ToTopic topic && topic.authSecret() != null) {
      violations.add(
          new Violation(
              field + "kafka.authSecretRef",
              "is for a Function's destinations: a "
                  + "mapping's topic is reached with its source's authSecretRef"));
    }
  }

  /**
   * Lambda's CreateEventSourceMapping rules for SQS batches: a batch of more than 10 needs a
   * batching window of at least 1 s; a FIFO queue's batch is at most 10 and it has no batching
   * window (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html).
   */
  private static void sqsBatchRules(
      MappingConfig.Sqs sqs, int batchSize, int window, List<Violation> violations) {
    if (batchSize > 10 && window < 1) {
      violations.add(
          new Violation(
              "spec.maximumBatchingWindowSeconds",
              "must be at least 1 when spec.batchSize "
                  + "is over 10 for an SQS source (got "
                  + window
                  + " with a batch size of "
                  + batchSize
                  + ")"));
    }
    boolean fifo = sqs.queueUrl() != null && sqs.queueUrl().endsWith(".fifo");
    if (fifo && batchSize > 10) {
      violations.add(
          new Violation(
              "spec.batchSize",
              "must be between 1 and 10 for a FIFO queue (got " + batchSize + ")"));
    }
    if (fifo && window != 0) {
      violations.add(
          new Violation(
              "spec.maximumBatchingWindowSeconds",
              "must be 0 for a FIFO queue: Lambda has no "
                  + "batching window for FIFO queues (got "
                  + window
                  + ")"));
    }
  }

  /**
   * Lambda's rule for an SQS source: the queue's visibility timeout is at least the function's
   * timeout. A shorter one lets a message come back while the function still runs on it, to be
   * handled again (and again) before it can be deleted; Lambda's CreateEventSourceMapping and
   * UpdateEventSourceMapping refuse it, in these words
   * (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html). The attribute is
   * read where the queue is reached ({@link EventSourceManager}); this is the rule alone.
   *
   * @return the violation, empty when the visibility timeout is long enough
   */
  public static Optional<Violation> queueVisibility(
      int visibilityTimeoutSeconds, Duration functionTimeout) {
    if (Duration.ofSeconds(visibilityTimeoutSeconds).compareTo(functionTimeout) >= 0) {
      return Optional.empty();
    }
    return Optional.of(
        new Violation(
            "spec.source.sqs.queueUrl",
            "Queue visibility timeout: "
                + visibilityTimeoutSeconds
                + " seconds is less than Function timeout: "
                + functionTimeout.toSeconds()
                + " seconds (the queue's "
                + "VisibilityTimeout must be at least the Function's timeoutSeconds)"));
  }

  private static RecordFilter filter(EventSourceMappingSpec spec, List<Violation> violations) {
    var criteria = spec.getFilterCriteria();
    List<String> patterns = new ArrayList<>();
    if (criteria != null && criteria.getFilters() != null) {
      if (criteria.getFilters().size() > MAX_FILTERS) {
        violations.add(
            new Violation(
                "spec.filterCriteria.filters",
                "may hold at most "
                    + MAX_FILTERS
                    + " filters (got "
                    + criteria.getFilters().size()
                    + ")"));
        return null;
      }
      criteria.getFilters().forEach(f -> patterns.add(f == null ? null : f.getPattern()));
      for (int i = 0; i < patterns.size(); i++) {
        if (patterns.get(i) != null && patterns.get(i).length() > MAX_PATTERN_LENGTH) {
          violations.add(
              new Violation(
                  "spec.filterCriteria.filters[" + i + "].pattern",
                  "may be at most "
                      + MAX_PATTERN_LENGTH
                      + " characters long (got "
                      + patterns.get(i).length()
                      + ")"));
          return null;
        }
      }
    }
    try {
      return RecordFilter.of(patterns);
    } catch (IllegalArgumentException e) {
      violations.add(
          new Violation(
              "spec." + e.getMessage().replaceFirst(":.*", ""),
              e.getMessage().replaceFirst("^[^:]*: ", "")));
      return null;
    }
  }

  private static MappingConfig.Source source(
      EventSource source, EventSourceMappingSpec spec, List<Violation> violations) {
    int count =
        source == null
            ? 0
            : (source.getSqs() != null ? 1 : 0)
                + (source.getKafka() != null ? 1 : 0)
                + (source.getSchedule() != null ? 1 : 0);
    if (count != 1) {
      violations.add(
          new Violation(
              "spec.source",
              "must set exactly one of sqs, kafka and schedule (got " + count + ")"));
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
        violations.add(
            new Violation(
                "spec.source.schedule.timezone",
                "must be a time zone like Europe/Berlin (got '" + schedule.getTimezone() + "')"));
      }
      try {
        String text = schedule.getExpression() == null ? "" : schedule.getExpression();
        return new MappingConfig.Schedule(
            text, ScheduleExpression.parse(text, zone), schedule.getInput(), zone);
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
      return new MappingConfig.Sqs(
          sqs.getQueueUrl(),
          sqs.getRegion(),
          sqs.getEndpoint(),
          sqs.getCredentialsSecretRef() == null ? null : sqs.getCredentialsSecretRef().getName());
    }
    var kafka = source.getKafka();
    if (kafka.getBootstrapServers() == null || kafka.getBootstrapServers().isBlank()) {
      violations.add(new Violation("spec.source.kafka.bootstrapServers", "is required"));
    }
    topic(violations, "spec.source.kafka.topic", kafka.getTopic());
    if (spec.getDestinationConfig() != null
        && spec.getDestinationConfig().getOnFailure() != null
        && spec.getDestinationConfig().getOnFailure().getKafka() != null
        && !isBlank(spec.getDestinationConfig().getOnFailure().getKafka().getTopic())) {
      // that it is there is the destination rules' to say
      topic(
          violations,
          "spec.destinationConfig.onFailure.kafka.topic",
          spec.getDestinationConfig().getOnFailure().getKafka().getTopic());
    }
    if (kafka.getConsumerGroupId() != null
        && !CONSUMER_GROUP.matcher(kafka.getConsumerGroupId()).matches()) {
      violations.add(
          new Violation(
              "spec.source.kafka.consumerGroupId",
              "must be 1 to 200 of the characters a-z, "
                  + "A-Z, 0-9 and -/*:_+=.@ (got '"
                  + kafka.getConsumerGroupId()
                  + "')"));
    }
    String startingPosition =
        spec.getStartingPosition() == null ? "LATEST" : spec.getStartingPosition();
    if (!startingPosition.equals("LATEST") && !startingPosition.equals("TRIM_HORIZON")) {
      // the CRD's schema says so too, but local mode's manifests do not pass through it
      violations.add(
          new Violation(
              "spec.startingPosition",
              "must be LATEST or TRIM_HORIZON (got '" + startingPosition + "')"));
    }
    return new MappingConfig.Kafka(
        kafka.getBootstrapServers(),
        kafka.getTopic(),
        kafka.getConsumerGroupId(),
        kafka.getAuthSecretRef() == null ? null : kafka.getAuthSecretRef().getName(),
        startingPosition);
  }

  private static void topic(List<Violation> violations, String field, String topic) {
    if (isBlank(topic)) {
      violations.add(new Violation(field, "is required"));
    } else if (!TOPIC.matcher(topic).matches()) {
      violations.add(
          new Violation(
              field,
              "must be at most 249 of the characters a-z, A-Z, 0-9, '.', '_' and '-', "
                  + "not starting with '.' (got '"
                  + topic
                  + "')"));
    }
  }

  private static boolean isBlank(String value) {
    return value == null || value.isBlank();
  }

  private static void range(List<Violation> violations, String field, int value, int min, int max) {
    if (value < min || value > max) {
      violations.add(
          new Violation(field, "must be between " + min + " and " + max + " (got " + value + ")"));
    }
  }
}
