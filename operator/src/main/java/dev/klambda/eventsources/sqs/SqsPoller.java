package dev.klambda.eventsources.sqs;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.klambda.destinations.Backoff;
import dev.klambda.destinations.RecordSender;
import dev.klambda.environments.InvocationResult;
import dev.klambda.eventsources.BatchInvoker;
import dev.klambda.eventsources.MappingConfig;
import dev.klambda.eventsources.MappingObserver;
import dev.klambda.eventsources.Poller;
import dev.klambda.eventsources.filter.RecordFilter;
import dev.klambda.function.FunctionConfig;
import dev.klambda.routing.ServiceException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;

/**
 * Lambda's SQS poller: batches by size and batching window, one synchronous invocation per batch,
 * messages deleted only once the function succeeded for them (ReportBatchItemFailures: all but the
 * reported ones), a failing batch bisected when asked, and a message received more often than the
 * retries allow (or older than the record age) sent to the on-failure destination and deleted.
 * Everything else is left for the queue to deliver again: at least once, nothing lost.
 *
 * <p>Scales like Lambda's SQS pollers, within what the machine gives: five to start, each with one
 * batch in flight (the pollers are the mapping's concurrency); while receives come back full more
 * are added, up to maximumConcurrency, as long as each step raises throughput ({@link
 * PollerScaling}); a receive that finds nothing, a throttled invocation, or a batch the function
 * failed (unless it reports item failures) retires a poller above the first five.
 */
public final class SqsPoller implements Poller {
  private static final int MAX_RECEIVE = 10;
  private static final int INITIAL_POLLERS = 5;

  /** Between receives that found nothing in the window's last second: gathering, not spinning. */
  private static final Duration SHORT_RECEIVE_PAUSE = Duration.ofMillis(50);

  /** Tries of a DeleteMessageBatch entry, beyond the SDK's own retries of a request. */
  private static final int DELETE_ATTEMPTS = 3;

  private static final Duration DELETE_RETRY_WAIT = Duration.ofMillis(200);
  private static final Logger LOG = LoggerFactory.getLogger(SqsPoller.class);

  private final MappingConfig mapping;
  private final MappingConfig.Sqs source;
  private final SqsClient sqs;
  private final BatchInvoker invoker;
  private final RecordSender destination;
  private final String region;
  private final String functionArn;
  private final String queueArn;
  private final MappingObserver observer;
  private final int initialPollers;
  private final PollerScaling scaling;

  /** Guarded by itself, as is {@link #started}. */
  private final List<Thread> threads = new ArrayList<>();

  private int started;
  private volatile String lastProcessingResult = "No records processed";
  private volatile boolean closed;

  public SqsPoller(
      MappingConfig mapping,
      MappingConfig.Sqs source,
      SqsClient sqs,
      BatchInvoker invoker,
      RecordSender destination,
      String region,
      MappingObserver observer) {
    this.observer = observer;
    this.mapping = mapping;
    this.source = source;
    this.sqs = sqs;
    this.invoker = invoker;
    this.destination = destination;
    this.region = region;
    this.functionArn = FunctionConfig.arn(region, mapping.namespace(), mapping.functionName());
    this.queueArn = SqsRecords.queueArn(source.queueUrl(), region);
    this.initialPollers = Math.min(INITIAL_POLLERS, mapping.maximumConcurrency());
    this.scaling = new PollerScaling(mapping.maximumConcurrency(), System::nanoTime);
    synchronized (threads) {
      for (int i = 0; i < initialPollers; i++) {
        startPoller(false);
      }
    }
  }

  /** A poller more; one a scaling step asked for is measured from its first batch on. */
  private void startPoller(boolean step) {
    Thread poller =
        Thread.ofVirtual().name("sqs-" + mapping.key() + "-" + started++).unstarted(this::poll);
    threads.add(poller);
    if (step) {
      scaling.added(poller);
    }
    poller.start();
    observer.pollers(mapping, threads.size());
  }

  /** A full receive: there is a backlog, and maybe room for more pollers. */
  private void grow() {
    synchronized (threads) {
      if (closed) {
        return;
      }
      for (int add = scaling.grow(threads.size()); add > 0; add--) {
        startPoller(true);
      }
    }
  }

  /** Nothing to receive, or back off: this poller ends, unless it is one of the first five. */
  private boolean retire() {
    synchronized (threads) {
      if (closed || threads.size() <= initialPollers) {
        return false;
      }
      threads.remove(Thread.currentThread());
      scaling.gone(Thread.currentThread());
      observer.pollers(mapping, threads.size());
      return true;
    }
  }

  @Override
  public String lastProcessingResult() {
    return lastProcessingResult;
  }

  private void poll() {
    Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(10));
    while (!closed) {
      try {
        Received received = collect();
        backoff.reset();
        List<Message> batch = received.messages();
        if (batch.isEmpty()) {
          scaling.drained(Thread.currentThread());
          if (retire()) {
            return;
          }
          continue;
        }
        if (received.backlog()) {
          grow();
        }
        count(MappingObserver.Event.POLLED, batch.size());
        Instant oldest = batch.stream().map(SqsRecords::sent).min(Instant::compareTo).orElseThrow();
        observer.lag(mapping, Duration.between(oldest, Instant.now()).toMillis() / 1000.0);
        Pace pace = process(batch);
        if (pace != Pace.NOT_RUN) {
          scaling.through(Thread.currentThread(), batch.size());
        }
        if ((pace != Pace.KEEP || scaling.retireOne()) && retire()) {
          return;
        }
      } catch (SdkException e) {
        lastProcessingResult =
            (rejectedCredentials(e)
                    ? "PROBLEM: credentials rejected: "
                    : "PROBLEM: source unreachable: ")
                + e.getMessage();
        Backoff.sleep(backoff.next());
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        // e.g. a destination that is down: nothing of the batch that failed was deleted, so the
        // queue delivers it again; this poller goes on (a dead one would still count as one)
        lastProcessingResult = "PROBLEM: " + e;
        Backoff.sleep(backoff.next());
      }
    }
  }

  private static boolean rejectedCredentials(SdkException e) {
    return e instanceof AwsServiceException service
        && (service.statusCode() == 401 || service.statusCode() == 403);
  }

  /** What a batch says about the pollers' pace. */
  private enum Pace {
    /** It ran, and more pollers may help. */
    KEEP,
    /** It ran, and the function failed it: one poller fewer, as Lambda backs off. */
    BACK_OFF,
    /** It did not run (throttled, or no such function): one poller fewer, and no throughput. */
    NOT_RUN
  }

  /** A batch, and whether the queue had more than it took (its last receive came back full). */
  private record Received(List<Message> messages, boolean backlog) {}

  /**
   * Up to batchSize messages, gathered for at most the batching window from the first one's
   * arrival. SQS long polls are whole seconds, so in the window's last second the receives answer
   * at once, paced by {@link #SHORT_RECEIVE_PAUSE} while they find nothing. A message received
   * again within the window (its visibility timeout is shorter than the window) keeps only its
   * newest receipt handle, the one a delete needs.
   */
  private Received collect() {
    Map<String, Message> batch = new LinkedHashMap<>();
    long window = mapping.batchingWindow().toNanos();
    long deadline = 0;
    while (true) {
      // nothing yet: a long poll of at least 1 s (and of the window, up to SQS's 20 s); after the
      // first message, no longer than the window has left
      int wait =
          (int)
              Math.min(
                  20,
                  batch.isEmpty()
                      ? Math.max(1, mapping.batchingWindow().toSeconds())
                      : Math.max(0, Duration.ofNanos(deadline - System.nanoTime()).toSeconds()));
      int max = Math.min(MAX_RECEIVE, mapping.batchSize() - batch.size());
      List<Message> messages =
          sqs.receiveMessage(
                  r ->
                      r.queueUrl(source.queueUrl())
                          .maxNumberOfMessages(max)
                          .waitTimeSeconds(wait)
                          .messageSystemAttributeNames(MessageSystemAttributeName.ALL)
                          .messageAttributeNames("All"))
              .messages();
      if (batch.isEmpty() && !messages.isEmpty()) {
        deadline = System.nanoTime() + window;
      }
      messages.forEach(message -> batch.put(message.messageId(), message));
      boolean full = messages.size() == max;
      long left = deadline - System.nanoTime();
      if (closed || batch.isEmpty() || batch.size() >= mapping.batchSize() || left <= 0) {
        return new Received(new ArrayList<>(batch.values()), full);
      }
      if (wait == 0
          && messages.isEmpty()
          && !Backoff.sleep(Duration.ofNanos(Math.min(left, SHORT_RECEIVE_PAUSE.toNanos())))) {
        return new Received(new ArrayList<>(batch.values()), false);
      }
    }
  }

  private Pace process(List<Message> batch) throws InterruptedException {
    List<Message> fresh = new ArrayList<>();
    List<Message> filtered = new ArrayList<>();
    for (Message message : batch) {
      if (mapping.maximumRecordAge() != null
          && SqsRecords.sent(message).plus(mapping.maximumRecordAge()).isBefore(Instant.now())) {
        fail(message, "RecordAgeExceeded", null);
      } else if (mapping.filter().isEmpty()
          || mapping
              .filter()
              .accepts(RecordFilter.sqsView(SqsRecords.record(message, queueArn, region)))) {
        fresh.add(message);
      } else {
        filtered.add(message);
      }
    }
    if (!filtered.isEmpty()) {
      count(MappingObserver.Event.FILTERED, filtered.size());
      delete(filtered); // as Lambda does: a message no filter matches is consumed, not redelivered
    }
    return fresh.isEmpty() ? Pace.KEEP : invoke(fresh);
  }

  /**
   * One invocation with the batch (two when bisected), and what becomes of its messages.
   *
   * @return the pace after it: Lambda's pollers back off when the function is throttled or missing,
   *     or failed the batch (unless it reports item failures: then they keep their pace)
   */
  private Pace invoke(List<Message> batch) throws InterruptedException {
    List<ObjectNode> records =
        batch.stream().map(m -> SqsRecords.record(m, queueArn, region)).toList();
    count(MappingObserver.Event.INVOKED, batch.size());
    count(MappingObserver.Event.BATCH, 1);
    String error;
    try (InvocationResult result =
        invoker.invoke(mapping.functionKey(), SqsRecords.event(records))) {
      if (!result.functionError()) {
        Set<String> failed =
            mapping.reportBatchItemFailures()
                ? SqsRecords.batchItemFailures(result.payloadBytes())
                : Set.of();
        Set<String> ids = batch.stream().map(Message::messageId).collect(Collectors.toSet());
        if (failed != null && ids.containsAll(failed)) {
          // before the deletes, so that one that fails is what the status shows
          lastProcessingResult =
              failed.isEmpty() ? "OK" : "PROBLEM: " + failed.size() + " record(s) reported failed";
          delete(batch.stream().filter(m -> !failed.contains(m.messageId())).toList());
          List<Message> reported =
              batch.stream().filter(m -> failed.contains(m.messageId())).toList();
          afterFailure(reported, "Unhandled");
          return Pace.KEEP;
        }
        // Lambda: a malformed response, or one naming a message not in the batch, fails the batch
        error = "an invalid batchItemFailures response";
      } else {
        error = result.errorType();
      }
    } catch (ServiceException e) {
      error = e.type() + ": " + e.getMessage();
      if (e.status() == 404) {
        lastProcessingResult = "PROBLEM: function missing: " + e.getMessage();
        return Pace.NOT_RUN; // the messages come back when the function exists
      }
      if (e.status() == 429) {
        lastProcessingResult = "PROBLEM: " + error;
        return Pace.NOT_RUN; // the messages come back after their visibility timeout
      }
    }
    lastProcessingResult = "PROBLEM: function error " + error;
    if (mapping.bisectOnError() && batch.size() > 1) {
      Pace first = invoke(batch.subList(0, batch.size() / 2));
      Pace second = invoke(batch.subList(batch.size() / 2, batch.size()));
      return first.compareTo(second) >= 0 ? first : second;
    }
    afterFailure(batch, "Unhandled");
    return mapping.reportBatchItemFailures() ? Pace.KEEP : Pace.BACK_OFF;
  }

  /** Failed messages: to the destination once the retries are used up, else back to the queue. */
  private void afterFailure(List<Message> failed, String functionError) {
    count(MappingObserver.Event.FAILED, failed.size());
    if (mapping.maximumRetryAttempts() < 0) {
      return;
    }
    for (Message message : failed) {
      if (SqsRecords.receiveCount(message) > mapping.maximumRetryAttempts()) {
        fail(message, "RetryAttemptsExhausted", functionError);
      }
    }
  }

  private void fail(Message message, String condition, String functionError) {
    destination.send(
        SqsRecords.failureRecord(
            SqsRecords.record(message, queueArn, region),
            functionArn,
            condition,
            SqsRecords.receiveCount(message),
            functionError));
    count(MappingObserver.Event.SENT_TO_DESTINATION, 1);
    delete(List.of(message));
  }

  /**
   * Deletes the messages, ten to a DeleteMessageBatch. SQS answers each entry on its own (the
   * request succeeds while entries fail), so every failed entry is looked at: tried again with
   * backoff when the fault was not ours, and one that still failed is logged, counted ({@code
   * DELETE_FAILED}) and reported. It is never taken for deleted: it comes back after its visibility
   * timeout and is handled again (at least once, as everywhere here).
   */
  private void delete(List<Message> messages) {
    for (int from = 0; from < messages.size(); from += MAX_RECEIVE) {
      List<Message> pending = messages.subList(from, Math.min(messages.size(), from + MAX_RECEIVE));
      Backoff backoff = new Backoff(DELETE_RETRY_WAIT, DELETE_RETRY_WAIT.multipliedBy(4));
      for (int attempt = 1; !pending.isEmpty(); attempt++) {
        List<DeleteFailure> failures = deleteOnce(pending);
        List<Message> retry =
            failures.stream().filter(DeleteFailure::retryable).map(DeleteFailure::message).toList();
        boolean again =
            !retry.isEmpty()
                && attempt < DELETE_ATTEMPTS
                && !closed
                && Backoff.sleep(backoff.next());
        for (DeleteFailure failure : failures) {
          if (again && failure.retryable()) {
            LOG.warn(
                "mapping {}: message {} was not deleted, trying again: {}",
                mapping.key(),
                failure.message().messageId(),
                failure.reason());
          } else {
            notDeleted(failure);
          }
        }
        pending = again ? retry : List.of();
      }
    }
  }

  /** A message SQS did not delete, why, and whether trying again may help. */
  private record DeleteFailure(Message message, String reason, boolean retryable) {}

  /** One DeleteMessageBatch: the entries that failed (all of them when the request did). */
  private List<DeleteFailure> deleteOnce(List<Message> messages) {
    List<DeleteMessageBatchRequestEntry> entries = new ArrayList<>();
    for (Message message : messages) {
      entries.add(
          DeleteMessageBatchRequestEntry.builder()
              .id(Integer.toString(entries.size()))
              .receiptHandle(message.receiptHandle())
              .build());
    }
    try {
      return sqs
          .deleteMessageBatch(r -> r.queueUrl(source.queueUrl()).entries(entries))
          .failed()
          .stream()
          .map(
              failed ->
                  new DeleteFailure(
                      messages.get(Integer.parseInt(failed.id())),
                      failed.code() + (failed.message() == null ? "" : ": " + failed.message()),
                      // a sender fault (a receipt handle the queue cannot read, say) fails the same
                      // way again
                      !Boolean.TRUE.equals(failed.senderFault())))
          .toList();
    } catch (SdkException e) {
      return messages.stream()
          .map(message -> new DeleteFailure(message, e.getMessage(), true))
          .toList();
    }
  }

  private void notDeleted(DeleteFailure failure) {
    LOG.warn(
        "mapping {}: message {} was not deleted, it comes back after its visibility timeout: {}",
        mapping.key(),
        failure.message().messageId(),
        failure.reason());
    count(MappingObserver.Event.DELETE_FAILED, 1);
    lastProcessingResult =
        "PROBLEM: message " + failure.message().messageId() + " not deleted: " + failure.reason();
  }

  private void count(MappingObserver.Event event, long n) {
    if (n > 0) {
      observer.counted(mapping, event, n);
    }
  }

  @Override
  public void close() {
    List<Thread> stopping;
    synchronized (threads) {
      closed = true;
      stopping = List.copyOf(threads);
    }
    stopping.forEach(Thread::interrupt);
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    for (Thread thread : stopping) {
      try {
        thread.join(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    observer.pollers(mapping, 0);
    sqs.close();
    destination.close();
  }
}
