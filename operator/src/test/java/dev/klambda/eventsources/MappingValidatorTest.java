package dev.klambda.eventsources;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.klambda.api.DestinationConfig;
import dev.klambda.api.EventSource;
import dev.klambda.api.EventSourceMapping;
import dev.klambda.api.EventSourceMappingSpec;
import dev.klambda.api.SqsSource;
import dev.klambda.function.InvalidFunctionException;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** CreateEventSourceMapping's rules that klambda checks when a mapping is applied. */
class MappingValidatorTest {
  private final MappingValidator validator = new MappingValidator();

  @Test
  void anSqsBatchOverTenNeedsABatchingWindowOfASecond() throws Exception {
    assertThatThrownBy(() -> validator.validate(sqs("https://sqs.example/queue", 100, null)))
        .isInstanceOf(InvalidFunctionException.class)
        .hasMessageContaining("spec.maximumBatchingWindowSeconds: must be at least 1 when spec.batchSize is over 10 "
            + "for an SQS source (got 0 with a batch size of 100)");
    assertThat(validator.validate(sqs("https://sqs.example/queue", 100, 1)).batchSize()).isEqualTo(100);
    assertThat(validator.validate(sqs("https://sqs.example/queue", 10, null)).batchSize()).isEqualTo(10);
  }

  @Test
  void aFifoQueuesBatchIsAtMostTen() {
    assertThatThrownBy(() -> validator.validate(sqs("https://sqs.example/orders.fifo", 20, 5)))
        .isInstanceOf(InvalidFunctionException.class)
        .hasMessageContaining("spec.batchSize: must be between 1 and 10 for a FIFO queue (got 20)");
  }

  @Test
  void aMappingsDestinationHasNoFieldsOfAFunctionsOwn() {
    EventSourceMapping mapping = sqs("https://sqs.example/queue", 10, null);
    mapping.getSpec().setDestinationConfig(new ObjectMapper().convertValue(Map.of("onFailure", Map.of("sqs",
        Map.of("queueUrl", "https://sqs.example/failed", "credentialsSecretRef", Map.of("name", "creds")))),
        DestinationConfig.class));

    assertThatThrownBy(() -> validator.validate(mapping))
        .hasMessageContaining("spec.destinationConfig.onFailure.sqs.credentialsSecretRef: is for a Function's "
            + "destinations: a mapping's queue is sent to with the operator's AWS credentials");
  }

  private static EventSourceMapping sqs(String queueUrl, int batchSize, Integer window) {
    SqsSource sqs = new SqsSource();
    sqs.setQueueUrl(queueUrl);
    EventSource source = new EventSource();
    source.setSqs(sqs);
    EventSourceMappingSpec spec = new EventSourceMappingSpec();
    spec.setFunctionName("consumer");
    spec.setSource(source);
    spec.setBatchSize(batchSize);
    spec.setMaximumBatchingWindowSeconds(window);
    EventSourceMapping mapping = new EventSourceMapping();
    mapping.setMetadata(new ObjectMetaBuilder().withName("orders").withNamespace("default").build());
    mapping.setSpec(spec);
    return mapping;
  }
}
