package io.streamwatch.listeners;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
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
 * reading the Delta log (with the Hadoop FileSystem, see {@link DeltaCommits}) and pushing happen on the
 * publisher's thread.
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

    private volatile Configuration hadoopConf;

    public ReaderVersionListener(StreamwatchSettings settings) {
        super(settings, DEFAULT_JOB);
    }

    @Override
    public void onQueryProgress(QueryProgressEvent event) {
        guarded("onQueryProgress", () -> {
            StreamingQueryProgress progress = event.progress();
            Configuration hadoopConf = hadoopConf();
            publish(groupOf(progress), () -> snapshot(progress, hadoopConf));
        });
    }

    private static Collection<MetricSample> snapshot(StreamingQueryProgress progress, Configuration hadoopConf) {
        List<MetricSample> samples = new ArrayList<>();
        for (SourceProgress source : progress.sources()) {
            DeltaSourceProgress.of(source).ifPresent(delta -> samples.addAll(samplesOf(delta, hadoopConf)));
        }
        return samples;
    }

    private static List<MetricSample> samplesOf(DeltaSourceProgress delta, Configuration hadoopConf) {
        Map<String, String> table = Map.of("table", delta.tableLocation());
        DeltaCommits commits = DeltaCommits.at(delta.tableLocation(), hadoopConf);
        DeltaCommits.Commit newest = commits.newest();
        long processed = delta.processedVersion();
        long lagVersions = Math.max(0, newest.version() - processed);
        double lagSeconds = lagVersions == 0 ? 0
                : Math.max(0, newest.timestampMillis() - commits.commitTimeMillis(Math.max(processed, 0))) / 1000.0;
        return List.of(
                new MetricSample(READER_VERSION, "Last Delta table version the query has fully processed.", table, processed),
                new MetricSample(LAG_VERSIONS, "Table versions committed but not yet processed by the query.", table, lagVersions),
                new MetricSample(LAG_SECONDS, "Commit time of the newest table version minus that of the newest processed one.",
                        table, lagSeconds));
    }

    /** The application's Hadoop configuration, looked up once (a reference, no I/O). */
    private Configuration hadoopConf() {
        Configuration conf = hadoopConf;
        if (conf == null) {
            scala.Option<SparkSession> session = SparkSession.getDefaultSession();
            conf = session.isDefined() ? session.get().sparkContext().hadoopConfiguration() : new Configuration();
            hadoopConf = conf;
        }
        return conf;
    }
}
