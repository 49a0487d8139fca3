/**
 * Notifications from a Delta change feed: every change of a table ({@link io.streamwatch.jobs.notify.ChangeFeed})
 * delivered to a Novu workflow ({@link io.streamwatch.jobs.notify.NotificationDelivery}), recorded in a delivery log and
 * dead letters ({@link io.streamwatch.jobs.notify.NotificationLog}), watched for stalls
 * ({@link io.streamwatch.jobs.notify.ProgressWatchdog}); the job is {@link io.streamwatch.jobs.notify.NotifyChanges}, its
 * settings {@link io.streamwatch.jobs.notify.NotifyOptions} (flags with environment fallbacks), each micro-batch's delivery
 * {@link io.streamwatch.jobs.notify.BatchNotifier}; Novu's client is {@link io.streamwatch.jobs.notify.novu.NovuClient}. Alerts:
 * {@code NotificationsStalled}, {@code NotificationsNotDelivered} ({@code companions.yml}). Demo: {@code scripts/demo notify}.
 * Docs: {@code docs/notifications.md}.
 */
package io.streamwatch.jobs.notify;
