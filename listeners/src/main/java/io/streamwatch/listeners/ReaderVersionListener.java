package io.streamwatch.listeners;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.streaming.SourceProgress;
import org.apache.spark.sql.streaming.StreamingQueryProgress;

/**
 * Pushes, for every Delta source of a streaming query, the last table version the query has fully processed
 * ({@code streamwatch_delta_reader_version}; visits naming: {@code visits_reader_version}) and how far it is
 * behind the table: in versions ({@code ..._lag_versions}) and in seconds ({@code ..._lag_seconds}): how long
 * the oldest commit the query has not processed has been waiting (now minus its commit time), 0 once it has
 * caught up. The way kafka-lag-exporter means time lag: one fresh commit of an hourly writer is seconds
 * behind, not an hour. And the backlog those versions hold ({@link DeltaBacklog}): {@code streamwatch_delta_backlog_files},
 * {@code _bytes} and {@code _records} (absent while the initial snapshot is read, or when the log no longer has them).
 *
 * <p>The callbacks only hand the progress over. Reading the Delta log (with the Hadoop FileSystem and the
 * query's session's Hadoop configuration, see {@link DeltaCommits}) runs on a thread of this listener's own,
 * never on the publisher's, so a slow object store delays no heartbeat. While the query runs, the lag is
 * refreshed every {@code spark.streamwatch.heartbeat.interval} too, so it keeps growing while the query idles
 * or stalls. A stopped query's values stay as it left them (writer minus reader is its lag then).
 */
public class ReaderVersionListener extends PushingListener {
    public static final String READER_VERSION = MetricNaming.VISITS.readerVersion();
    public static final String LAG_VERSIONS = MetricNaming.VISITS.readerLagVersions();
    public static final String LAG_SECONDS = MetricNaming.VISITS.readerLagSeconds();
    public static final String BACKLOG_FILES = "streamwatch_delta_backlog_files";
    public static final String BACKLOG_BYTES = "streamwatch_delta_backlog_bytes";
    public static final String BACKLOG_RECORDS = "streamwatch_delta_backlog_records";

    /** One running query as the reader sees it. */
    private static final class Reader {
        final PushGroup group;
        final Configuration hadoopConf;
        volatile StreamingQueryProgress progress;
        /** The refresh waiting for the log reader, if any: later events join it instead of queueing more reads. */
        final AtomicReference<CompletableFuture<Collection<MetricSample>>> waiting = new AtomicReference<>();

        Reader(PushGroup group, Configuration hadoopConf) {
            this.group = group;
            this.hadoopConf = hadoopConf;
        }
    }

    private final Map<UUID, Reader> readers = new ConcurrentHashMap<>();
    /** Per table location, kept so that each lookup starts where the last one ended. */
    private final Map<String, DeltaCommits> tables = new ConcurrentHashMap<>();
    private volatile ScheduledExecutorService logReader;

    /** Used by Spark when attached through {@code spark.sql.streaming.streamingQueryListeners}. */
    public ReaderVersionListener(SparkConf conf) {
        this(StreamwatchSettings.from(conf));
    }

    public ReaderVersionListener() {
        this(StreamwatchSettings.fromSparkEnv());
    }

    public ReaderVersionListener(StreamwatchSettings settings) {
        super(settings, settings.naming().readerJob());
    }

    @Override
    public void onQueryStarted(QueryStartedEvent event) {
        super.onQueryStarted(event);
        guarded("onQueryStarted", () -> readerOf(event.id()));
    }

    @Override
    public void onQueryProgress(QueryProgressEvent event) {
        guarded("onQueryProgress", () -> {
            Reader reader = readerOf(event.progress().id());
            reader.progress = event.progress();
            refresh(reader);
        });
    }

    @Override
    public void onQueryIdle(QueryIdleEvent event) {
        guarded("onQueryIdle", () -> {
            Reader reader = readers.get(event.id());
            if (reader != null) {
                refresh(reader);
            }
        });
    }

    @Override
    public void onQueryTerminated(QueryTerminatedEvent event) {
        guarded("onQueryTerminated", () -> {
            groupOf(event); // forgets the query's group: it no longer runs
            readers.remove(event.id());
        });
    }

    /** Called on Spark's threads: captures the session's Hadoop configuration (a copy, no I/O) once per query. */
    private Reader readerOf(UUID queryId) {
        return readers.computeIfAbsent(queryId, id -> {
            logReader();
            return new Reader(groupOf(id), sessionHadoopConf());
        });
    }

    /**
     * Publishes the lag as the log reader will compute it from the newest progress; the callback returns at once.
     * However many events arrive, at most one read per query waits for the log reader: they all join it.
     */
    private void refresh(Reader reader) {
        if (reader.progress == null) {
            return;
        }
        CompletableFuture<Collection<MetricSample>> samples = reader.waiting.get();
        while (samples == null) {
            CompletableFuture<Collection<MetricSample>> next = new CompletableFuture<>();
            if (reader.waiting.compareAndSet(null, next)) {
                logReader().execute(() -> read(reader));
                samples = next;
            } else {
                samples = reader.waiting.get();
            }
        }
        publish(reader.group, samples);
    }

    /** On the log reader: takes the waiting refresh, then reads the progress (newer than any event it serves). */
    private void read(Reader reader) {
        CompletableFuture<Collection<MetricSample>> samples = reader.waiting.getAndSet(null);
        try {
            samples.complete(snapshot(reader.progress, reader.hadoopConf, System.currentTimeMillis()));
        } catch (Throwable t) {
            samples.completeExceptionally(t);
        }
    }

    /** Every heartbeat interval: the lag in seconds grows while nothing new is processed. */
    private void refreshAll() {
        for (Reader reader : readers.values()) {
            guarded("refresh", () -> refresh(reader));
        }
    }

    private Collection<MetricSample> snapshot(StreamingQueryProgress progress, Configuration hadoopConf, long nowMillis) {
        List<MetricSample> samples = new ArrayList<>();
        for (SourceProgress source : progress.sources()) {
            DeltaSourceProgress.of(source).ifPresent(delta -> samples.addAll(samplesOf(delta, hadoopConf, nowMillis)));
        }
        return samples;
    }

    private List<MetricSample> samplesOf(DeltaSourceProgress delta, Configuration hadoopConf, long nowMillis) {
        Map<String, String> table = Map.of("table", delta.tableLocation());
        DeltaCommits commits = tables.computeIfAbsent(delta.tableLocation(), location -> DeltaCommits.at(location, hadoopConf));
        DeltaCommits.Commit newest = commits.newest();
        long processed = delta.processedVersion();
        long lagVersions = Math.max(0, newest.version() - processed);
        double lagSeconds = lagVersions == 0 ? 0
                : Math.max(0, nowMillis - commits.commitTimeMillis(Math.max(processed + 1, 0))) / 1000.0;
        MetricNaming names = naming();
        List<MetricSample> samples = new ArrayList<>(List.of(
                new MetricSample(names.readerVersion(), "Last Delta table version the query has fully processed.", table, processed),
                new MetricSample(names.readerLagVersions(), "Table versions committed but not yet processed by the query.", table, lagVersions),
                new MetricSample(names.readerLagSeconds(), "How long the oldest commit not yet processed by the query has been waiting; 0 when caught up.",
                        table, lagSeconds)));
        if (processed != DeltaSourceProgress.NOTHING_PROCESSED) {
            samples.addAll(backlog(delta.tableLocation(), hadoopConf, processed, newest.version(), table));
        }
        return samples;
    }

    /** The files, bytes and records of the unprocessed versions; none when the log cannot say (retention passed them). */
    private List<MetricSample> backlog(String location, Configuration hadoopConf, long processed, long newest, Map<String, String> table) {
        DeltaBacklog.Backlog backlog;
        try {
            backlog = DeltaBacklog.at(location, hadoopConf).after(processed, newest);
        } catch (RuntimeException e) {
            guarded("backlog", () -> {
                throw e;
            });
            return List.of();
        }
        List<MetricSample> samples = new ArrayList<>(List.of(
                new MetricSample(BACKLOG_FILES, "Data files committed to the table and not yet processed by the query.", table, backlog.files()),
                new MetricSample(BACKLOG_BYTES, "Bytes of the data files committed and not yet processed by the query.", table, backlog.bytes())));
        if (backlog.records() >= 0) {
            samples.add(new MetricSample(BACKLOG_RECORDS, "Records committed and not yet processed by the query (from the files' statistics).",
                    table, backlog.records()));
        }
        return samples;
    }


    private ScheduledExecutorService logReader() {
        if (logReader == null) {
            synchronized (this) {
                if (logReader == null) {
                    logReader = ownThread("streamwatch-delta-log-reader", this::refreshAll);
                }
            }
        }
        return logReader;
    }
}
