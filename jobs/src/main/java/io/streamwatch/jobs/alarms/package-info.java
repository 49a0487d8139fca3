/**
 * Threshold rules and alarms within a second: metric records from Kafka matched against the rules as they arrive
 * ({@link io.streamwatch.jobs.alarms.AlarmConsumer}, or Spark micro-batches through
 * {@link io.streamwatch.jobs.alarms.AlarmMatching}), each batch's alarms written durably to the
 * {@link io.streamwatch.jobs.alarms.AlarmOutbox}, delivered from there to their rules' Discord webhooks
 * ({@link io.streamwatch.jobs.alarms.AlarmDelivery}) and recorded once in the Delta {@code alarms} table
 * ({@link io.streamwatch.jobs.alarms.AlarmRecorder}, {@link io.streamwatch.jobs.alarms.AlarmsTable}); the job is
 * {@link io.streamwatch.jobs.alarms.Alarms}. Alerts: {@code AlarmWebhookGone}, {@code AlarmDeliveriesRefused},
 * {@code AlarmDeliveryFailing}, {@code AlarmsNotRecorded}, {@code AlarmsStalled} ({@code companions.yml}). Demo:
 * {@code scripts/demo alarms}. Docs: {@code docs/alarms.md}.
 */
package io.streamwatch.jobs.alarms;
