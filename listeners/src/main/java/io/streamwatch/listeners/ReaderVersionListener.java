package io.streamwatch.listeners;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.SourceProgress;
import org.apache.spark.sql.streaming.StreamingQueryProgress;

/**
 * Pushes, for every Delta source of a streaming query, the last table version the query has fully processed
 * ({@code visits_reader_version}) and how far it is behind the table: in versions
 * ({@code visits_reader_lag_versions}) and in seconds of commit time ({@code visits_reader_lag_seconds}),
 * both 0 once it has caught up.
 *
 * <p>Attach by configuration alone ({@code spark.sql.streaming.streamingQueryListeners} plus
 * {@code spark.streamwatch.pushgateway.address}) or in code. The callback only hands the progress over;
 * reading the Delta log and pushing happen on the publisher's thread.
 */
public class ReaderVersionListener extends PushingListener {
    public static final String DEFAULT_JOB = "visits_reader";
    public static final String READER_VERSION = "visits_reader_version";
    public static final String LAG_VERSIONS = "visits_reader_lag_versions";
    public static final String LAG_SECONDS = "visits_reader_lag_seconds";

    /** Used by Spark when attached through {@code spark.sql.streaming.streamingQueryListeners}. */
    public ReaderVersionListener(SparkConf conf) {
        this(StreamwatchSettings.from(conf));
    }

    public ReaderVersionListener() {
        this(StreamwatchSettings.fromSparkEnv());
    }

    public ReaderVersionListener(StreamwatchSettings settings) {
        super(settings, DEFAULT_JOB);
    }

    @Override
    public void onQueryProgress(QueryProgressEvent event) {
        guarded("onQueryProgress", () -> {
            StreamingQueryProgress progress = event.progress();
            publish(groupOf(progress), () -> snapshot(progress));
        });
    }

    private static Collection<MetricSample> snapshot(StreamingQueryProgress progress) {
        List<MetricSample> samples = new ArrayList<>();
        for (SourceProgress source : progress.sources()) {
            DeltaSourceProgress.of(source).ifPresent(delta -> samples.addAll(samplesOf(delta)));
        }
        return samples;
    }

    private static List<MetricSample> samplesOf(DeltaSourceProgress delta) {
        Map<String, String> table = Map.of("table", delta.tableLocation());
        List<MetricSample> samples = new ArrayList<>();
        samples.add(new MetricSample(READER_VERSION, "Last Delta table version the query has fully processed.",
                table, delta.processedVersion()));
        Optional<SparkSession> spark = activeSession();
        if (spark.isPresent()) {
            DeltaCommits commits = DeltaCommits.at(spark.get(), delta.tableLocation());
            DeltaCommits.Commit newest = commits.newest();
            long processed = delta.processedVersion();
            long lagVersions = Math.max(0, newest.version() - processed);
            double lagSeconds = lagVersions == 0 ? 0
                    : Math.max(0, newest.timestampMillis() - commits.commitTimeMillis(Math.max(processed, 0))) / 1000.0;
            samples.add(new MetricSample(LAG_VERSIONS, "Table versions committed but not yet processed by the query.",
                    table, lagVersions));
            samples.add(new MetricSample(LAG_SECONDS,
                    "Commit time of the newest table version minus that of the newest processed one.", table, lagSeconds));
        }
        return samples;
    }

    /** The session to read the Delta log with; none once Spark is stopping (the JVM's exit flushes the rest). */
    private static Optional<SparkSession> activeSession() {
        scala.Option<SparkSession> active = SparkSession.getActiveSession();
        scala.Option<SparkSession> session = active.isDefined() ? active : SparkSession.getDefaultSession();
        return session.isDefined() && !session.get().sparkContext().isStopped() ? Optional.of(session.get()) : Optional.empty();
    }
}
