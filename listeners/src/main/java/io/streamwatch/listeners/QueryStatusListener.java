package io.streamwatch.listeners;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.sql.streaming.SourceProgress;
import org.apache.spark.sql.streaming.StreamingQueryProgress;

/**
 * Whether each query keeps up, per source and as a whole, in the spirit of Burrow's evaluator
 * ({@link QueryStatus}): {@code streamwatch_query_status{status}} (1 for the current one of OK, FALLING_BEHIND,
 * STALLED, STOPPED, FAILED, 0 for the others), and per source ({@code source}: its description) the backlog in
 * records ({@code streamwatch_source_backlog_records}: Kafka offsets from the progress, Delta records of the
 * unprocessed versions, see {@link DeltaBacklog}), the arrival and processing rates over the window
 * ({@code streamwatch_source_arrival_rows_per_second}, {@code streamwatch_source_processing_rows_per_second}), the time
 * to catch up ({@code streamwatch_source_catch_up_seconds}, {@code +Inf} while falling behind), Spark's own
 * per-batch rates ({@code streamwatch_source_input_rows_per_second}, {@code streamwatch_source_processed_rows_per_second})
 * and, for Kafka, the source's offsets-behind figures ({@code streamwatch_kafka_offsets_behind_latest{stat}}).
 *
 * <p>Settings: {@code spark.streamwatch.status.window} (2m), {@code spark.streamwatch.status.minBatches} (5) and
 * {@code spark.streamwatch.status.stallAfter} (5m). Callbacks hand the progress over; the Delta log is read, and
 * the status re-evaluated every heartbeat interval, on a thread of the listener's own. A stopped or failed query
 * keeps its last status.
 */
public class QueryStatusListener extends PushingListener {
    public static final String STATUS = "streamwatch_query_status";
    public static final String BACKLOG = "streamwatch_source_backlog_records";
    public static final String ARRIVAL = "streamwatch_source_arrival_rows_per_second";
    public static final String PROCESSING = "streamwatch_source_processing_rows_per_second";
    public static final String CATCH_UP = "streamwatch_source_catch_up_seconds";
    public static final String INPUT_RATE = "streamwatch_source_input_rows_per_second";
    public static final String PROCESSED_RATE = "streamwatch_source_processed_rows_per_second";
    public static final String OFFSETS_BEHIND = "streamwatch_kafka_offsets_behind_latest";
    public static final String WINDOW = StreamwatchSettings.STATUS_WINDOW;
    public static final String MIN_BATCHES = StreamwatchSettings.STATUS_MIN_BATCHES;
    public static final String STALL_AFTER = StreamwatchSettings.STATUS_STALL_AFTER;
    private static final int MAX_LABEL = 200;

    /** One source of a query: its window of batches and what its last progress said. */
    private static final class Source {
        final Deque<QueryStatus.Point> window = new ArrayDeque<>();
        long processedTotal;
        double inputRate = Double.NaN;
        double processedRate = Double.NaN;
        Map<String, String> kafkaMetrics = Map.of();
        QueryStatus.Evaluation evaluation = new QueryStatus.Evaluation(QueryStatus.Status.OK, Double.NaN, Double.NaN, Double.NaN);
    }

    /** One query as the evaluator sees it; touched on the evaluator's thread only, but for the two volatile times. */
    private static final class Tracked {
        final PushGroup group;
        final Configuration hadoopConf;
        final Map<String, Source> sources = new LinkedHashMap<>();
        volatile long lastBatchEndMillis = System.currentTimeMillis();

        Tracked(PushGroup group, Configuration hadoopConf) {
            this.group = group;
            this.hadoopConf = hadoopConf;
        }
    }

    private final Duration window;
    private final int minBatches;
    private final Duration stallAfter;
    private final Map<UUID, Tracked> queries = new ConcurrentHashMap<>();
    private final Map<String, DeltaCommits> tables = new ConcurrentHashMap<>();
    private volatile ScheduledExecutorService evaluator;

    public QueryStatusListener(SparkConf conf) {
        this(StreamwatchSettings.from(conf), StreamwatchSettings.positiveDuration(conf, WINDOW, Duration.ofMinutes(2)),
                minBatches(conf), StreamwatchSettings.positiveDuration(conf, STALL_AFTER, Duration.ofMinutes(5)));
    }

    public QueryStatusListener() {
        this(SparkEnv.get() == null ? new SparkConf(false) : SparkEnv.get().conf());
    }

    public QueryStatusListener(StreamwatchSettings settings, Duration window, int minBatches, Duration stallAfter) {
        super(settings, settings.naming().queryJob());
        this.window = window;
        this.minBatches = minBatches;
        this.stallAfter = stallAfter;
    }

    private static int minBatches(SparkConf conf) {
        try {
            int value = Integer.parseInt(conf.get(MIN_BATCHES, "5").trim());
            return value >= 2 ? value : 5;
        } catch (NumberFormatException e) {
            return 5;
        }
    }

    @Override
    public void onQueryStarted(QueryStartedEvent event) {
        super.onQueryStarted(event);
        guarded("onQueryStarted", () -> {
            Configuration hadoopConf = sessionHadoopConf();
            queries.put(event.id(), new Tracked(groupOf(event.id()), hadoopConf));
            evaluator();
        });
    }

    @Override
    public void onQueryProgress(QueryProgressEvent event) {
        guarded("onQueryProgress", () -> {
            StreamingQueryProgress progress = event.progress();
            Tracked query = queries.get(progress.id());
            if (query != null) {
                query.lastBatchEndMillis = System.currentTimeMillis();
                evaluator().execute(() -> guarded("evaluate", () -> add(query, progress)));
            }
        });
    }

    @Override
    public void onQueryIdle(QueryIdleEvent event) {
        guarded("onQueryIdle", () -> {
            Tracked query = queries.get(event.id());
            if (query != null) {
                query.lastBatchEndMillis = System.currentTimeMillis();
            }
        });
    }

    @Override
    public void onQueryTerminated(QueryTerminatedEvent event) {
        guarded("onQueryTerminated", () -> {
            PushGroup group = groupOf(event);
            Tracked query = queries.remove(event.id());
            QueryStatus.Status status = event.exception().isDefined() ? QueryStatus.Status.FAILED : QueryStatus.Status.STOPPED;
            // After the batches still queued for the evaluator, so that none of them overwrites the end.
            evaluator().execute(() -> publish(query != null ? query.group : group, () -> statusSamples(status)));
        });
    }

    /** On the evaluator: the batch's backlog per source, then the verdict. */
    private void add(Tracked query, StreamingQueryProgress progress) {
        long now = System.currentTimeMillis();
        for (SourceProgress sourceProgress : progress.sources()) {
            String name = label(sourceProgress.description());
            Source source = query.sources.computeIfAbsent(name, n -> new Source());
            source.processedTotal += Math.max(0, sourceProgress.numInputRows());
            source.inputRate = sourceProgress.inputRowsPerSecond();
            source.processedRate = sourceProgress.processedRowsPerSecond();
            source.kafkaMetrics = sourceProgress.metrics() == null ? Map.of() : Map.copyOf(sourceProgress.metrics());
            Long backlog = backlog(sourceProgress, query.hadoopConf);
            if (backlog != null) {
                source.window.addLast(new QueryStatus.Point(now, backlog, source.processedTotal, progress.batchDuration() / 1000.0));
            }
        }
        evaluate(query, now);
    }

    private void evaluate(Tracked query, long now) {
        for (Source source : query.sources.values()) {
            while (!source.window.isEmpty() && source.window.peekFirst().atMillis() < now - window.toMillis()) {
                source.window.pollFirst();
            }
            source.evaluation = QueryStatus.evaluate(List.copyOf(source.window), Duration.ofMillis(now - query.lastBatchEndMillis), stallAfter,
                    minBatches, source.evaluation.status());
        }
        QueryStatus.Status status = query.sources.values().stream().map(s -> s.evaluation.status())
                .max(Enum::compareTo).orElse(Duration.ofMillis(now - query.lastBatchEndMillis).compareTo(stallAfter) > 0
                        ? QueryStatus.Status.STALLED : QueryStatus.Status.OK);
        List<MetricSample> samples = new ArrayList<>(statusSamples(status));
        query.sources.forEach((name, source) -> samples.addAll(sourceSamples(name, source)));
        publish(query.group, () -> samples);
    }

    /** Records not yet processed: Kafka's from the offsets in the progress, Delta's from its log; null for other sources. */
    private Long backlog(SourceProgress source, Configuration hadoopConf) {
        String description = source.description();
        if (description != null && description.startsWith("Kafka") && source.endOffset() != null && source.latestOffset() != null) {
            return (long) KafkaLagListener.lags(source.endOffset(), source.latestOffset(), "lag").stream().mapToDouble(MetricSample::value).sum();
        }
        return DeltaSourceProgress.of(source).filter(delta -> delta.processedVersion() != DeltaSourceProgress.NOTHING_PROCESSED).map(delta -> {
            DeltaCommits commits = tables.computeIfAbsent(delta.tableLocation(), location -> DeltaCommits.at(location, hadoopConf));
            DeltaBacklog.Backlog backlog = DeltaBacklog.at(delta.tableLocation(), hadoopConf).after(delta.processedVersion(), commits.newest().version());
            return backlog.records() >= 0 ? backlog.records() : null;
        }).orElse(null);
    }

    static List<MetricSample> statusSamples(QueryStatus.Status current) {
        List<MetricSample> samples = new ArrayList<>();
        for (QueryStatus.Status status : QueryStatus.Status.values()) {
            samples.add(new MetricSample(STATUS, "1 for the query's status (OK, FALLING_BEHIND, STALLED, STOPPED, FAILED), 0 for the others.",
                    Map.of("status", status.name()), status == current ? 1 : 0));
        }
        return samples;
    }

    private static List<MetricSample> sourceSamples(String name, Source source) {
        Map<String, String> label = Map.of("source", name);
        List<MetricSample> samples = new ArrayList<>();
        if (!source.window.isEmpty()) {
            samples.add(new MetricSample(BACKLOG, "Records of the source not yet processed by the query.", label, source.window.peekLast().backlog()));
        }
        QueryStatus.Evaluation evaluation = source.evaluation;
        addIfNumber(samples, ARRIVAL, "Records arriving at the source per second over the status window.", label, evaluation.arrivalPerSecond());
        addIfNumber(samples, PROCESSING, "Records the query processes per second of batch time over the status window.", label,
                evaluation.processingPerSecond());
        addIfNumber(samples, CATCH_UP, "Seconds to process the backlog at the window's rates; +Inf while falling behind.", label,
                evaluation.catchUpSeconds());
        addIfNumber(samples, INPUT_RATE, "Spark's input rate of the source in the last batch.", label, source.inputRate);
        addIfNumber(samples, PROCESSED_RATE, "Spark's processing rate of the source in the last batch.", label, source.processedRate);
        for (String stat : List.of("avg", "max", "min")) {
            String value = source.kafkaMetrics.get(stat + "OffsetsBehindLatest");
            if (value != null) {
                try {
                    addIfNumber(samples, OFFSETS_BEHIND, "The Kafka source's own offsets behind the latest, over its partitions.",
                            Map.of("source", name, "stat", stat), Double.parseDouble(value));
                } catch (NumberFormatException e) {
                    // not a figure: left out
                }
            }
        }
        return samples;
    }

    private static void addIfNumber(List<MetricSample> samples, String name, String help, Map<String, String> labels, double value) {
        if (!Double.isNaN(value)) {
            samples.add(new MetricSample(name, help, labels, value));
        }
    }

    private static String label(String description) {
        String text = description == null ? "unknown" : description;
        return text.length() <= MAX_LABEL ? text : text.substring(0, MAX_LABEL);
    }

    /** Every heartbeat interval: a query whose batches stopped ending turns STALLED without a new event. */
    private void evaluateAll() {
        long now = System.currentTimeMillis();
        for (Tracked query : queries.values()) {
            guarded("evaluate", () -> evaluate(query, now));
        }
    }


    private ScheduledExecutorService evaluator() {
        if (evaluator == null) {
            synchronized (this) {
                if (evaluator == null) {
                    evaluator = ownThread("streamwatch-query-status", this::evaluateAll);
                }
            }
        }
        return evaluator;
    }
}
