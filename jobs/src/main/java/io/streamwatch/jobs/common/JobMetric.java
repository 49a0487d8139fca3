package io.streamwatch.jobs.common;

import io.streamwatch.listeners.MetricSample;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every metric the companion jobs push besides the listener library's ({@code MetricCatalog}): name, help and label
 * names, declared once. The jobs push through {@link #sample}; the docs, the alert rules and the dashboards are checked
 * against {@link #values()} (a test fails on a name of theirs that no catalog declares, or one of these undocumented).
 */
public enum JobMetric {
    VISITS_WRITER_VERSION("visits_writer_version", "Newest version of the Delta table committed by the writer."),
    ALARM_RULES("streamwatch_alarm_rules", "Rules in the alarms job's view."),
    ALARMS("streamwatch_alarms_total", "Alarms raised by this run (each recorded once in the alarms table).", "state"),
    ALARM_RECORDS_QUARANTINED("streamwatch_alarm_records_quarantined_total", "Metric records quarantined by this run."),
    ALARM_DELIVERIES("streamwatch_alarm_deliveries_total",
            "Alarms handled by delivery, by outcome (delivered, refused, webhook_gone, rule_deleted, not_allowed).", "outcome"),
    ALARM_DELIVERY_RATE_LIMITED("streamwatch_alarm_delivery_rate_limited_total", "429 answers waited out."),
    ALARM_DELIVERY_RETRIES("streamwatch_alarm_delivery_retries_total", "Deliveries retried after a 5xx or no answer."),
    ALARM_DELIVERY_ERRORS("streamwatch_alarm_delivery_errors_total",
            "Delivery steps that failed (a table read, a progress write) and were retried; delivery goes on."),
    ALARM_DELIVERY_FAILING("streamwatch_alarm_delivery_failing", "1 while alarm delivery's last step failed (it retries), else 0."),
    ALARM_DELIVERY_WAITING("streamwatch_alarm_delivery_waiting", "Alarms waiting for delivery, in all webhooks' lanes."),
    ALARM_DELIVERY_LONGEST_LANE("streamwatch_alarm_delivery_longest_lane", "Alarms waiting in the lane of the webhook with the most."),
    ALARM_BATCHES_UNRECORDED("streamwatch_alarm_batches_unrecorded", "Batches of alarms in the outbox that the alarms table does not hold yet."),
    ALARM_RECORDING_ERRORS("streamwatch_alarm_recording_errors_total", "Commits of alarms to the alarms table that failed and were retried."),
    ALARM_RECORDING_FAILING("streamwatch_alarm_recording_failing", "1 while the last commit of alarms to the alarms table failed (it retries), else 0."),
    ALARM_CONSUMER_LAG("streamwatch_alarm_consumer_lag_records", "Records of the metrics topic the alarms job's consumer engine has not read yet."),
    ALARM_CONSUMER_LAST_POLL("streamwatch_alarm_consumer_last_poll_timestamp_seconds",
            "When the alarms job's consumer engine last polled the metrics topic (Unix time); gone after a graceful stop."),
    ALARM_WEBHOOKS_GONE("streamwatch_alarm_webhooks_gone", "Webhooks that answered 404 and are no longer called."),
    DEPLOYMENTS("streamwatch_deployments", "Deployments in the window, per organization and type.", "organization", "deployment_type"),
    DEPLOYMENT_CUSTOMERS("streamwatch_deployment_customers", "Distinct customers deploying in the window.", "organization", "deployment_type"),
    ORGANIZATION_ALERT("organization_alert", "1 while the organization's deployments in the window are above the threshold.",
            "organization", "alert_name"),
    NOTIFICATIONS("streamwatch_notifications_total",
            "Changes handled by outcome (accepted, already_triggered, failed, cancelled, nothing_pending, test_mode).", "outcome"),
    NOTIFY_RATE_LIMITED("streamwatch_notify_rate_limited_total", "429 answers from Novu waited out."),
    NOTIFY_RETRIES("streamwatch_notify_retries_total", "Requests to Novu retried (5xx, timeout, unreachable, key refused)."),
    NOTIFY_STALLED("streamwatch_notify_stalled", "1 while the query has made no progress for PROGRESS_TIMEOUT_MINUTES.");

    private final String metricName;
    private final String help;
    private final List<String> labels;

    JobMetric(String metricName, String help, String... labels) {
        this.metricName = metricName;
        this.help = help;
        this.labels = List.of(labels);
    }

    /** The name Prometheus sees. */
    public String metricName() {
        return metricName;
    }

    public List<String> labels() {
        return labels;
    }

    /**
     * One value, with the metric's label values in the order declared.
     *
     * @throws IllegalArgumentException when the values do not match the declared labels
     */
    public MetricSample sample(double value, String... labelValues) {
        if (labelValues.length != labels.size()) {
            throw new IllegalArgumentException(metricName + " takes the labels " + labels + ", not " + labelValues.length + " value(s)");
        }
        Map<String, String> labelled = new LinkedHashMap<>();
        for (int i = 0; i < labelValues.length; i++) {
            labelled.put(labels.get(i), labelValues[i]);
        }
        return new MetricSample(metricName, help, labelled, value);
    }
}
