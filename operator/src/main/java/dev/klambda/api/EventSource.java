package dev.klambda.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** Where a mapping's events come from: exactly one of sqs, kafka and schedule. */
public class EventSource {
  @JsonPropertyDescription("An SQS queue (or any SQS-compatible server).")
  private SqsSource sqs;

  @JsonPropertyDescription("A Kafka topic.")
  private KafkaSource kafka;

  @JsonPropertyDescription("A schedule, as in EventBridge Scheduler.")
  private ScheduleSource schedule;

  public SqsSource getSqs() {
    return sqs;
  }

  public void setSqs(SqsSource sqs) {
    this.sqs = sqs;
  }

  public KafkaSource getKafka() {
    return kafka;
  }

  public void setKafka(KafkaSource kafka) {
    this.kafka = kafka;
  }

  public ScheduleSource getSchedule() {
    return schedule;
  }

  public void setSchedule(ScheduleSource schedule) {
    this.schedule = schedule;
  }
}
