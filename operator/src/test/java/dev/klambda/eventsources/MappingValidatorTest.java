package dev.klambda.eventsources;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.klambda.api.DestinationConfig;
import dev.klambda.api.EventDestination;
import dev.klambda.api.EventFilter;
import dev.klambda.api.EventSource;
import dev.klambda.api.EventSourceMapping;
import dev.klambda.api.EventSourceMappingSpec;
import dev.klambda.api.FilterCriteria;
import dev.klambda.api.KafkaDestination;
import dev.klambda.api.KafkaSource;
import dev.klambda.api.SqsSource;
import dev.klambda.function.InvalidFunctionException;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** CreateEventSourceMapping's rules that klambda checks when a mapping is applied. */
class MappingValidatorTest {
  private final MappingValidator validator = new MappingValidator();

  @Test
  void anSqsBatchOverTenNeedsABatchingWindowOfASecond() throws Exception {
    assertThatThrownBy(() -> validator.validate(sqs("https://sqs.example/queue", 100, null)))
        .isInstanceOf(InvalidFunctionException.class)
        .hasMessageContaining(
            "spec.maximumBatchingWindowSeconds: must be at least 1 when spec.batchSize is over 10 "
                + "for an SQS source (got 0 with a batch size of 100)");
    assertThat(validator.validate(sqs("https://sqs.example/queue", 100, 1)).batchSize())
        .isEqualTo(100);
    assertThat(validator.validate(sqs("https://sqs.example/queue", 10, null)).batchSize())
        .isEqualTo(10);
  }

  @Test
  void aFifoQueuesBatchIsAtMostTen() {
    assertThatThrownBy(() -> validator.validate(sqs("https://sqs.example/orders.fifo", 20, 5)))
        .isInstanceOf(InvalidFunctionException.class)
        .hasMessageContaining("spec.batchSize: must be between 1 and 10 for a FIFO queue (got 20)");
  }

  @Test
  void aQueuesVisibilityTimeoutIsAtLeastTheFunctionsTimeout() {
    assertThat(MappingValidator.queueVisibility(2, Duration.ofSeconds(10)))
        .hasValueSatisfying(
            violation -> {
              assertThat(violation.field()).isEqualTo("spec.source.sqs.queueUrl");
              assertThat(violation.rule())
                  .isEqualTo(
                      "Queue visibility timeout: 2 seconds is less than Function timeout: "
                          + "10 seconds (the queue's VisibilityTimeout must be at least the Function's timeoutSeconds)");
            });
    assertThat(MappingValidator.queueVisibility(10, Duration.ofSeconds(10)))
        .as("equal is enough")
        .isEmpty();
    assertThat(MappingValidator.queueVisibility(30, Duration.ofSeconds(3))).isEmpty();
  }

  @Test
  void aFifoQueueHasNoBatchingWindow() throws Exception {
    assertThatThrownBy(() -> validator.validate(sqs("https://sqs.example/orders.fifo", 10, 1)))
        .isInstanceOf(InvalidFunctionException.class)
        .hasMessage(
            "spec.maximumBatchingWindowSeconds: must be 0 for a FIFO queue: Lambda has no batching window "
                + "for FIFO queues (got 1)");
    assertThat(validator.validate(sqs("https://sqs.example/orders.fifo", 10, 0)).batchingWindow())
        .isZero();
    assertThat(
            validator.validate(sqs("https://sqs.example/orders.fifo", 10, null)).batchingWindow())
        .isZero();
  }

  @Test
  void aKafkaStartingPositionIsLatestOrTrimHorizon() throws Exception {
    EventSourceMapping earliest = kafka("orders", null);
    earliest.getSpec().setStartingPosition("EARLIEST");
    assertThatThrownBy(() -> validator.validate(earliest))
        .isInstanceOf(InvalidFunctionException.class)
        .hasMessage("spec.startingPosition: must be LATEST or TRIM_HORIZON (got 'EARLIEST')");
    EventSourceMapping trimHorizon = kafka("orders", null);
    trimHorizon.getSpec().setStartingPosition("TRIM_HORIZON");
    assertThat(((MappingConfig.Kafka) validator.validate(trimHorizon).source()).startingPosition())
        .isEqualTo("TRIM_HORIZON");
    assertThat(
            ((MappingConfig.Kafka) validator.validate(kafka("orders", null)).source())
                .startingPosition())
        .isEqualTo("LATEST");
  }

  @Test
  void kafkaTopicsAreNamesKafkaAllows() throws Exception {
    assertThatThrownBy(() -> validator.validate(kafka("orders/eu", null)))
        .isInstanceOf(InvalidFunctionException.class)
        .hasMessage(
            "spec.source.kafka.topic: must be at most 249 of the characters a-z, A-Z, 0-9, '.', '_' and '-', "
                + "not starting with '.' (got 'orders/eu')");
    assertThatThrownBy(() -> validator.validate(kafka(".orders", null)))
        .hasMessageContaining("(got '.orders')");
    assertThatThrownBy(() -> validator.validate(kafka("t".repeat(250), null)))
        .hasMessageContaining("at most 249");
    assertThat(validator.validate(kafka("t".repeat(249), null)).source())
        .isInstanceOf(MappingConfig.Kafka.class);
    assertThat(validator.validate(kafka("orders.eu_v2-x", null)).source())
        .isInstanceOf(MappingConfig.Kafka.class);

    EventSourceMapping toBadTopic = kafka("orders", null);
    KafkaDestination topic = new KafkaDestination();
    topic.setTopic("dead letters");
    EventDestination onFailure = new EventDestination();
    onFailure.setKafka(topic);
    DestinationConfig destination = new DestinationConfig();
    destination.setOnFailure(onFailure);
    toBadTopic.getSpec().setDestinationConfig(destination);
    assertThatThrownBy(() -> validator.validate(toBadTopic))
        .hasMessageStartingWith(
            "spec.destinationConfig.onFailure.kafka.topic: must be at most 249");
  }

  @Test
  void aKafkaConsumerGroupIdIsWhatLambdaAccepts() throws Exception {
    assertThatThrownBy(() -> validator.validate(kafka("orders", "billing team")))
        .isInstanceOf(InvalidFunctionException.class)
        .hasMessage(
            "spec.source.kafka.consumerGroupId: must be 1 to 200 of the characters a-z, A-Z, 0-9 and "
                + "-/*:_+=.@ (got 'billing team')");
    assertThatThrownBy(() -> validator.validate(kafka("orders", "")))
        .hasMessageContaining("(got '')");
    assertThatThrownBy(() -> validator.validate(kafka("orders", "g".repeat(201))))
        .hasMessageContaining("1 to 200");
    assertThat(
            ((MappingConfig.Kafka)
                    validator.validate(kafka("orders", "team/billing:v2@eu")).source())
                .consumerGroupId())
        .isEqualTo("team/billing:v2@eu");
  }

  @Test
  void aFilterPatternIsAtMost4096Characters() throws Exception {
    String longest = "{\"body\":{\"id\":[\"" + "x".repeat(4096 - 20) + "\"]}}";
    assertThat(longest).hasSize(4096);
    assertThat(validator.validate(filtered(longest)).filter().isEmpty()).isFalse();
    String tooLong = longest.replace("\"x", "\"xx");
    assertThatThrownBy(() -> validator.validate(filtered(tooLong)))
        .isInstanceOf(InvalidFunctionException.class)
        .hasMessage(
            "spec.filterCriteria.filters[0].pattern: may be at most 4096 characters long (got 4097)");
  }

  @Test
  void aBadFilterPatternNamesItsFieldAndEventRulersReason() {
    assertThatThrownBy(
            () ->
                validator.validate(
                    filtered("{\"body\": {\"price\": [{\"numeric\": [\">\", \"5\"]}]}}")))
        .isInstanceOf(InvalidFunctionException.class)
        .hasMessage(
            "spec.filterCriteria.filters[0].pattern: Value of > must be numeric (line 1, column 40)");
    assertThatThrownBy(() -> validator.validate(filtered("{\"a\": [\"x\"]} {")))
        .hasMessageStartingWith(
            "spec.filterCriteria.filters[0].pattern: the pattern is not valid JSON: ");
  }

  private static EventSourceMapping filtered(String pattern) {
    EventFilter filter = new EventFilter();
    filter.setPattern(pattern);
    FilterCriteria criteria = new FilterCriteria();
    criteria.setFilters(List.of(filter));
    EventSourceMapping mapping = sqs("https://sqs.example/queue", 10, null);
    mapping.getSpec().setFilterCriteria(criteria);
    return mapping;
  }

  @Test
  void aMappingsDestinationHasNoFieldsOfAFunctionsOwn() {
    EventSourceMapping mapping = sqs("https://sqs.example/queue", 10, null);
    mapping
        .getSpec()
        .setDestinationConfig(
            new ObjectMapper()
                .convertValue(
                    Map.of(
                        "onFailure",
                        Map.of(
                            "sqs",
                            Map.of(
                                "queueUrl",
                                "https://sqs.example/failed",
                                "credentialsSecretRef",
                                Map.of("name", "creds")))),
                    DestinationConfig.class));

    assertThatThrownBy(() -> validator.validate(mapping))
        .hasMessageContaining(
            "spec.destinationConfig.onFailure.sqs.credentialsSecretRef: is for a Function's "
                + "destinations: a mapping's queue is sent to with the operator's AWS credentials");
  }

  private static EventSourceMapping sqs(String queueUrl, int batchSize, Integer window) {
    SqsSource sqs = new SqsSource();
    sqs.setQueueUrl(queueUrl);
    EventSource source = new EventSource();
    source.setSqs(sqs);
    EventSourceMapping mapping = mapping(source);
    mapping.getSpec().setBatchSize(batchSize);
    mapping.getSpec().setMaximumBatchingWindowSeconds(window);
    return mapping;
  }

  private static EventSourceMapping kafka(String topic, String consumerGroupId) {
    KafkaSource kafka = new KafkaSource();
    kafka.setBootstrapServers("kafka:9092");
    kafka.setTopic(topic);
    kafka.setConsumerGroupId(consumerGroupId);
    EventSource source = new EventSource();
    source.setKafka(kafka);
    return mapping(source);
  }

  private static EventSourceMapping mapping(EventSource source) {
    EventSourceMappingSpec spec = new EventSourceMappingSpec();
    spec.setFunctionName("consumer");
    spec.setSource(source);
    EventSourceMapping mapping = new EventSourceMapping();
    mapping.setMetadata(
        new ObjectMetaBuilder().withName("orders").withNamespace("default").build());
    mapping.setSpec(spec);
    return mapping;
  }
}
