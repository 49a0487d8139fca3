package io.streamwatch.listeners;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.streaming.StateOperatorProgress;
import org.apache.spark.sql.streaming.StreamingQueryProgress;

/**
 * Event time, for queries that have it: how old the newest event processed is ({@code
 * streamwatch_event_time_lag_seconds}: now minus the greatest {@code eventTime.max} of the query's batches), how far the watermark trails
 * it ({@code streamwatch_watermark_gap_seconds}: max minus watermark) and now ({@code streamwatch_watermark_lag_seconds}),
 * the rows dropped as too late since the query started ({@code streamwatch_late_rows_dropped_total}, from each
 * stateful operator's {@code numRowsDroppedByWatermark}), and each stateful operator's state
 * ({@code streamwatch_state_rows}, {@code streamwatch_state_memory_bytes}, label {@code operator}: its index and name).
 * A query without event time or state pushes none of these. The lags are computed again at each idle event
 * ({@code spark.sql.streaming.noDataProgressEventInterval}, 10 s by default), so that they keep growing while
 * nothing arrives instead of freezing at the last batch's figure.
 */
public class EventTimeListener extends PushingListener {
    public static final String EVENT_TIME_LAG = "streamwatch_event_time_lag_seconds";
    public static final String WATERMARK_GAP = "streamwatch_watermark_gap_seconds";
    public static final String WATERMARK_LAG = "streamwatch_watermark_lag_seconds";
    public static final String LATE_ROWS = "streamwatch_late_rows_dropped_total";
    public static final String STATE_ROWS = "streamwatch_state_rows";
    public static final String STATE_MEMORY = "streamwatch_state_memory_bytes";

    /** A query's late rows so far and its newest event time and watermark (a batch without data reports none). */
    private static final class Seen {
        final AtomicLong dropped = new AtomicLong();
        volatile String max;
        volatile String watermark;
        volatile StateOperatorProgress[] operators = new StateOperatorProgress[0];
    }

    private final Map<UUID, Seen> queries = new ConcurrentHashMap<>();

    public EventTimeListener(SparkConf conf) {
        this(StreamwatchSettings.from(conf));
    }

    public EventTimeListener() {
        this(StreamwatchSettings.fromSparkEnv());
    }

    public EventTimeListener(StreamwatchSettings settings) {
        super(settings, settings.naming().queryJob());
    }

    @Override
    public void onQueryProgress(QueryProgressEvent event) {
        guarded("onQueryProgress", () -> {
            StreamingQueryProgress progress = event.progress();
            long late = 0;
            for (StateOperatorProgress operator : progress.stateOperators()) {
                late += Math.max(0, operator.numRowsDroppedByWatermark());
            }
            Seen seen = queries.computeIfAbsent(progress.id(), id -> new Seen());
            seen.dropped.addAndGet(late);
            seen.operators = progress.stateOperators();
            String batchMax = progress.eventTime().get("max");
            Long batchMaxMillis = millis(batchMax);
            if (batchMaxMillis != null && (millis(seen.max) == null || batchMaxMillis > millis(seen.max))) {
                seen.max = batchMax;
            }
            if (progress.eventTime().containsKey("watermark")) {
                seen.watermark = progress.eventTime().get("watermark");
            }
            publishNow(groupOf(progress), seen);
        });
    }

    @Override
    public void onQueryIdle(QueryIdleEvent event) {
        guarded("onQueryIdle", () -> {
            Seen seen = queries.get(event.id());
            if (seen != null) {
                publishNow(groupOf(event.id()), seen);
            }
        });
    }

    private void publishNow(PushGroup group, Seen seen) {
        List<MetricSample> samples = samples(seen.max, seen.watermark, seen.operators, seen.dropped.get(), System.currentTimeMillis());
        if (!samples.isEmpty()) {
            publish(group, () -> samples);
        }
    }

    @Override
    public void onQueryTerminated(QueryTerminatedEvent event) {
        guarded("onQueryTerminated", () -> queries.remove(event.id()));
    }

    static List<MetricSample> samples(String newestEventTime, String watermarkTime, StateOperatorProgress[] operators, long droppedSoFar,
            long nowMillis) {
        List<MetricSample> samples = new ArrayList<>();
        Long max = millis(newestEventTime);
        Long watermark = millis(watermarkTime);
        if (max != null) {
            samples.add(MetricSample.of(EVENT_TIME_LAG, "Now minus the newest event time the query has processed.", (nowMillis - max) / 1000.0));
        }
        if (watermark != null && watermark > 0) {
            samples.add(MetricSample.of(WATERMARK_LAG, "Now minus the query's watermark: events older than this are dropped.",
                    (nowMillis - watermark) / 1000.0));
            if (max != null) {
                samples.add(MetricSample.of(WATERMARK_GAP, "The newest event time minus the watermark.", Math.max(0, max - watermark) / 1000.0));
            }
        }
        if (operators.length > 0) {
            samples.add(MetricSample.of(LATE_ROWS, "Rows dropped as later than the watermark since the query started.", droppedSoFar));
        }
        for (int i = 0; i < operators.length; i++) {
            Map<String, String> operator = Map.of("operator", i + ":" + operators[i].operatorName());
            samples.add(new MetricSample(STATE_ROWS, "Rows in the stateful operator's state.", operator, operators[i].numRowsTotal()));
            samples.add(new MetricSample(STATE_MEMORY, "Memory used by the stateful operator's state.", operator, operators[i].memoryUsedBytes()));
        }
        return samples;
    }

    private static Long millis(String timestamp) {
        if (timestamp == null) {
            return null;
        }
        try {
            return Instant.parse(timestamp).toEpochMilli();
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
