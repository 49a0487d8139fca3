/**
 * Threshold rules and alarms within seconds: metric records from Kafka matched against the rules
 * ({@link io.streamwatch.jobs.alarms.AlarmMatching}), every alarm recorded once in the Delta {@code alarms} table
 * ({@link io.streamwatch.jobs.alarms.AlarmsTable}) and delivered to its rule's Discord webhook
 * ({@link io.streamwatch.jobs.alarms.AlarmDelivery}); the job is {@link io.streamwatch.jobs.alarms.Alarms}. Alerts:
 * {@code AlarmWebhookGone}, {@code AlarmDeliveriesRefused} ({@code companions.yml}). Demo: {@code scripts/demo alarms}.
 * Docs: {@code docs/alarms.md}.
 */
package io.streamwatch.jobs.alarms;
