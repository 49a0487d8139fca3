package io.streamwatch.listeners;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.SparkConf;

/**
 * The SLA listener: pushes every executed micro-batch's duration ({@code streamwatch_batch_duration_seconds};
 * with the visits naming {@code visits_sync_duration} in milliseconds, the visits dashboards' name and unit, and
 * {@code visits_sync_duration_seconds}).
 *
 * <p>An idle query is not missing its SLA: when Spark reports a trigger without new data
 * ({@code QueryIdleEvent}, Spark 3.5), the SLA series go away (so an SLA alert resolves on its own) and only
 * {@code streamwatch_query_last_batch_duration_seconds} keeps the last executed batch's duration visible. A
 * graceful stop removes them all, so a stopped query leaves no duration that looks current.
 *
 * <p>A run's first executed batch is slower by nature (a cold JVM, planning, restored state): beside the SLA series,
 * {@code streamwatch_batch_first_of_run} says 1 while the duration shown is that batch's, so a redeploy does not
 * read as an SLA miss (the stall alert holds a first batch to a bound of its own).
 */
public class BatchDurationListener extends PushingListener {
    public static final String DURATION_MILLIS = MetricNaming.VISITS.batchDurationMillis();
    public static final String DURATION_SECONDS = MetricNaming.VISITS.batchDurationSeconds();
    public static final String LAST_BATCH_SECONDS = MetricNaming.LAST_BATCH_DURATION_SECONDS;
    public static final String FIRST_OF_RUN = "streamwatch_batch_first_of_run";

    public BatchDurationListener(SparkConf conf) {
        this(StreamwatchSettings.from(conf));
    }

    public BatchDurationListener() {
        this(StreamwatchSettings.fromSparkEnv());
    }

    public BatchDurationListener(StreamwatchSettings settings) {
        super(settings, settings.naming().queryJob());
    }

    /** The last executed batch's duration per running query. */
    private final Map<UUID, Long> lastDurations = new ConcurrentHashMap<>();
    /** The run of each query whose first batch has been reported. */
    private final Map<UUID, UUID> reportedRuns = new ConcurrentHashMap<>();

    @Override
    public void onQueryProgress(QueryProgressEvent event) {
        guarded("onQueryProgress", () -> {
            long durationMillis = event.progress().batchDuration();
            lastDurations.put(event.progress().id(), durationMillis);
            boolean firstOfRun = !event.progress().runId().equals(reportedRuns.put(event.progress().id(), event.progress().runId()));
            publish(groupOf(event.progress()), () -> samples(durationMillis, true, firstOfRun));
        });
    }

    @Override
    public void onQueryIdle(QueryIdleEvent event) {
        guarded("onQueryIdle", () -> {
            long lastMillis = lastDurations.getOrDefault(event.id(), -1L);
            publish(groupOf(event.id()), () -> samples(lastMillis, false, false));
        });
    }

    private List<MetricSample> samples(long durationMillis, boolean executed, boolean firstOfRun) {
        List<MetricSample> samples = new ArrayList<>();
        if (durationMillis < 0) {
            return samples;
        }
        samples.add(MetricSample.of(LAST_BATCH_SECONDS, "Duration of the last executed micro-batch, also while the query idles.",
                durationMillis / 1000.0));
        if (executed) {
            if (naming().batchDurationMillis() != null) {
                samples.add(MetricSample.of(naming().batchDurationMillis(), "Duration of the last micro-batch in milliseconds.", durationMillis));
            }
            samples.add(MetricSample.of(naming().batchDurationSeconds(), "Duration of the last executed micro-batch; absent while the query idles.",
                    durationMillis / 1000.0));
            samples.add(MetricSample.of(FIRST_OF_RUN, "1 when the last executed micro-batch is its run's first (cold), else 0.",
                    firstOfRun ? 1 : 0));
        }
        return samples;
    }

    @Override
    public void onQueryTerminated(QueryTerminatedEvent event) {
        lastDurations.remove(event.id());
        reportedRuns.remove(event.id());
        removeOnGracefulStop(event);
    }

    @Override
    protected boolean removedWhenStopped() {
        return true;
    }
}
