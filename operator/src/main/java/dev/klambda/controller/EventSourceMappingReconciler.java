package dev.klambda.controller;

import dev.klambda.api.EventSourceMapping;
import dev.klambda.api.EventSourceMappingStatus;
import dev.klambda.api.MappingCounts;
import dev.klambda.eventsources.EventSourceManager;
import dev.klambda.eventsources.MappingConfig;
import dev.klambda.eventsources.MappingObserver;
import dev.klambda.eventsources.MappingValidator;
import dev.klambda.function.FunctionConfig;
import dev.klambda.function.InvalidFunctionException;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Thin, like the Function reconciler: validate the mapping, check its function is served, run its
 * poller in this process (one owner: this operator), report state and conditions. A mapping whose
 * function is missing is retried until the function appears; one made Invalid by what is not in its
 * spec (its Secret's keys, its SQS queue's visibility timeout) is judged again every time too,
 * since nothing here watches those.
 */
@ControllerConfiguration(name = "eventsourcemapping")
public class EventSourceMappingReconciler
    implements Reconciler<EventSourceMapping>, Cleaner<EventSourceMapping> {
  private static final Duration RETRY = Duration.ofSeconds(10);

  private final MappingValidator validator = new MappingValidator();
  private final EventSourceManager eventSources;
  private final Function<String, Optional<Duration>> functionTimeout;
  private final KubernetesClient client;
  private final String region;

  /**
   * @param functionTimeout the timeout of the Function {@code namespace/name}; empty when there is
   *     no such Function
   * @param region the region of the ARNs in messages
   */
  public EventSourceMappingReconciler(
      EventSourceManager eventSources,
      Function<String, Optional<Duration>> functionTimeout,
      KubernetesClient client,
      String region) {
    this.eventSources = eventSources;
    this.functionTimeout = functionTimeout;
    this.client = client;
    this.region = region;
  }

  @Override
  public UpdateControl<EventSourceMapping> reconcile(
      EventSourceMapping resource, Context<EventSourceMapping> context) {
    EventSourceMappingStatus status = new EventSourceMappingStatus();
    status.setObservedGeneration(resource.getMetadata().getGeneration());
    UpdateControl<EventSourceMapping> control = UpdateControl.noUpdate();
    eventSources.seedCounts(key(resource), earlierCounts(resource.getStatus()));
    try {
      MappingConfig mapping = validator.validate(resource);
      Optional<Duration> timeout = functionTimeout.apply(mapping.functionKey());
      if (timeout.isEmpty()) {
        stop(
            resource,
            status,
            "FunctionMissing",
            "spec.functionName: Function not found: "
                + FunctionConfig.arn(region, mapping.namespace(), mapping.functionName()),
            "False");
        patchIfChanged(resource, status);
        return UpdateControl.<EventSourceMapping>noUpdate().rescheduleAfter(RETRY);
      }
      eventSources.apply(mapping, timeout.get());
      status.setState(mapping.enabled() ? "Enabled" : "Disabled");
      status.setLastProcessingResult(eventSources.lastProcessingResult(mapping.key()));
      status.setCounts(counts(eventSources.counts(mapping.key())));
      control = UpdateControl.<EventSourceMapping>noUpdate().rescheduleAfter(RETRY);
      status.setConditions(
          conditions(
              resource,
              "True",
              "Polling",
              mapping.enabled()
                  ? "Polling "
                      + describe(mapping)
                      + unchecked(eventSources.visibilityUnchecked(mapping.key()))
                  : "Disabled",
              "False",
              ""));
    } catch (InvalidFunctionException e) {
      stop(resource, status, "Invalid", e.getMessage(), "True");
    } catch (EventSourceManager.CannotStartException e) {
      if (e.retry()) {
        stop(resource, status, "SecretMissing", e.getMessage(), "False");
      } else {
        stop(resource, status, "Invalid", e.getMessage(), "True");
      }
      control =
          UpdateControl.<EventSourceMapping>noUpdate()
              .rescheduleAfter(RETRY); // see the class comment
    }
    patchIfChanged(resource, status);
    return control;
  }

  private void patchIfChanged(EventSourceMapping resource, EventSourceMappingStatus status) {
    if (!status.equals(resource.getStatus())) {
      patchStatus(resource, status);
    }
  }

  private void stop(
      EventSourceMapping resource,
      EventSourceMappingStatus status,
      String reason,
      String message,
      String invalid) {
    eventSources.remove(key(resource));
    status.setState("Failed");
    status.setCounts(
        counts(
            eventSources.counts(key(resource)))); // kept while failed, for a restart to go on from
    status.setConditions(
        conditions(
            resource, "False", reason, message, invalid, invalid.equals("True") ? message : ""));
  }

  private static MappingCounts counts(Map<MappingObserver.Event, Long> counts) {
    return new MappingCounts(
        count(counts, MappingObserver.Event.POLLED),
        count(counts, MappingObserver.Event.FILTERED),
        count(counts, MappingObserver.Event.INVOKED),
        count(counts, MappingObserver.Event.FAILED),
        count(counts, MappingObserver.Event.SENT_TO_DESTINATION),
        count(counts, MappingObserver.Event.BATCH),
        count(counts, MappingObserver.Event.DELETE_FAILED));
  }

  private static Map<MappingObserver.Event, Long> earlierCounts(EventSourceMappingStatus status) {
    MappingCounts counts = status == null ? null : status.getCounts();
    if (counts == null) {
      return Map.of();
    }
    return Map.of(
        MappingObserver.Event.POLLED,
        counts.getPolled(),
        MappingObserver.Event.FILTERED,
        counts.getFiltered(),
        MappingObserver.Event.INVOKED,
        counts.getInvoked(),
        MappingObserver.Event.FAILED,
        counts.getFailed(),
        MappingObserver.Event.SENT_TO_DESTINATION,
        counts.getSentToDestination(),
        MappingObserver.Event.BATCH,
        counts.getBatches(),
        MappingObserver.Event.DELETE_FAILED,
        counts.getDeleteFailures());
  }

  private static long count(Map<MappingObserver.Event, Long> counts, MappingObserver.Event event) {
    return counts.getOrDefault(event, 0L);
  }

  private static String unchecked(String reason) {
    return reason == null ? "" : " (its visibility timeout is not checked yet: " + reason + ")";
  }

  private static String describe(MappingConfig mapping) {
    return switch (mapping.source()) {
      case MappingConfig.Schedule s -> "schedule " + s.expressionText();
      case MappingConfig.Sqs s -> "queue " + s.queueUrl();
      case MappingConfig.Kafka k -> "topic " + k.topic();
    };
  }

  private static List<Condition> conditions(
      EventSourceMapping resource,
      String ready,
      String reason,
      String message,
      String invalid,
      String invalidMessage) {
    Long generation = resource.getMetadata().getGeneration();
    return List.of(
        Conditions.of(resource.getStatus(), generation, "Ready", ready, reason, message),
        Conditions.of(
            resource.getStatus(),
            generation,
            "Invalid",
            invalid,
            invalid.equals("True") ? "Invalid" : "Valid",
            invalidMessage));
  }

  private void patchStatus(EventSourceMapping resource, EventSourceMappingStatus status) {
    StatusPatch.write(client, resource, status);
  }

  @Override
  public DeleteControl cleanup(EventSourceMapping resource, Context<EventSourceMapping> context) {
    eventSources.delete(key(resource));
    return DeleteControl.defaultDelete();
  }

  private static String key(EventSourceMapping resource) {
    return resource.getMetadata().getNamespace() + "/" + resource.getMetadata().getName();
  }
}
