package io.streamwatch.listeners;

import java.util.Locale;

/**
 * The names the listeners push under ({@code spark.streamwatch.metrics.naming}). {@link #STREAMWATCH}, the
 * default, fits any pipeline and follows Prometheus conventions (base units, {@code streamwatch_} prefix);
 * {@link #VISITS} keeps the names (and the millisecond duration) of the visits demos, whose rules and
 * dashboards use them; the visits jobs set it. The health series ({@code streamwatch_query_*}) are the same in both.
 */
public enum MetricNaming {
    STREAMWATCH("streamwatch", "streamwatch_delta_reader_version", "streamwatch_delta_reader_lag_versions",
            "streamwatch_delta_reader_lag_seconds", null, "streamwatch_batch_duration_seconds",
            "streamwatch_kafka_lag_records"),
    VISITS("visits_reader", "visits_reader_version", "visits_reader_lag_versions", "visits_reader_lag_seconds",
            "visits_sync_duration", "visits_sync_duration_seconds", "visits_reader_lag");

    /** The last executed batch's duration, pushed also while the query idles (no SLA rule uses it). */
    public static final String LAST_BATCH_DURATION_SECONDS = "streamwatch_query_last_batch_duration_seconds";

    private final String readerJob;
    private final String readerVersion;
    private final String readerLagVersions;
    private final String readerLagSeconds;
    private final String batchDurationMillis;
    private final String batchDurationSeconds;
    private final String kafkaLag;

    MetricNaming(String readerJob, String readerVersion, String readerLagVersions, String readerLagSeconds,
                 String batchDurationMillis, String batchDurationSeconds, String kafkaLag) {
        this.readerJob = readerJob;
        this.readerVersion = readerVersion;
        this.readerLagVersions = readerLagVersions;
        this.readerLagSeconds = readerLagSeconds;
        this.batchDurationMillis = batchDurationMillis;
        this.batchDurationSeconds = batchDurationSeconds;
        this.kafkaLag = kafkaLag;
    }

    static MetricNaming parse(String text) {
        try {
            return valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("expected streamwatch or visits");
        }
    }

    /** The job label of the Delta reader's metrics unless {@code spark.streamwatch.job} says otherwise. */
    public String readerJob() {
        return readerJob;
    }

    /** The job label of the other listeners' metrics unless {@code spark.streamwatch.job} says otherwise. */
    public String queryJob() {
        return this == VISITS ? "visits_to_delta_synchronizer" : "streamwatch";
    }

    public String readerVersion() {
        return readerVersion;
    }

    public String readerLagVersions() {
        return readerLagVersions;
    }

    public String readerLagSeconds() {
        return readerLagSeconds;
    }

    /** The batch duration in milliseconds (the visits SLA metric), or null when this naming has none. */
    public String batchDurationMillis() {
        return batchDurationMillis;
    }

    public String batchDurationSeconds() {
        return batchDurationSeconds;
    }

    public String kafkaLag() {
        return kafkaLag;
    }
}
