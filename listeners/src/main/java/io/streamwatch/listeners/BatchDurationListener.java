package io.streamwatch.listeners;

import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.streaming.StreamingQueryProgress;

/**
 * The SLA listener: pushes every micro-batch's duration, {@code visits_sync_duration} in milliseconds (the
 * original's name and unit) and {@code visits_sync_duration_seconds}. A graceful stop removes them, so a
 * stopped query leaves no duration that looks current.
 */
public class BatchDurationListener extends PushingListener {
    public static final String DEFAULT_JOB = "visits_to_delta_synchronizer";
    public static final String DURATION_MILLIS = "visits_sync_duration";
    public static final String DURATION_SECONDS = "visits_sync_duration_seconds";

    public BatchDurationListener(SparkConf conf) {
        this(StreamwatchSettings.from(conf));
    }

    public BatchDurationListener() {
        this(StreamwatchSettings.fromSparkEnv());
    }

    public BatchDurationListener(StreamwatchSettings settings) {
        super(settings, DEFAULT_JOB);
    }

    @Override
    public void onQueryProgress(QueryProgressEvent event) {
        guarded("onQueryProgress", () -> {
            StreamingQueryProgress progress = event.progress();
            long durationMillis = progress.batchDuration();
            publish(groupOf(progress), () -> List.of(
                    MetricSample.of(DURATION_MILLIS, "Duration of the last micro-batch in milliseconds.", durationMillis),
                    MetricSample.of(DURATION_SECONDS, "Duration of the last micro-batch.", durationMillis / 1000.0)));
        });
    }

    @Override
    public void onQueryTerminated(QueryTerminatedEvent event) {
        removeOnGracefulStop(event);
    }
}
