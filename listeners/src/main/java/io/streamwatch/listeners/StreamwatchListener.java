package io.streamwatch.listeners;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.sql.streaming.StreamingQueryListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one listener to attach: {@code spark.sql.streaming.streamingQueryListeners=io.streamwatch.listeners.StreamwatchListener}
 * turns on every {@link Signal} (or those {@code spark.streamwatch.signals} names), and each query gets the ones
 * that apply to it: Kafka lag for Kafka sources, reader version, lag and backlog for Delta sources, the event-time
 * signals for queries with event time or state, and always duration, health, status and streamwatch's own health.
 * Offsets are committed only when {@code spark.streamwatch.kafka.commitGroup} is set.
 *
 * <p>It hands every event to the listener of each signal in turn, each of which never blocks and never throws. A
 * signal that cannot start (a library missing from the classpath) says so once and stays off; the others run.
 */
public class StreamwatchListener extends StreamingQueryListener {
    private static final Logger LOG = LoggerFactory.getLogger(StreamwatchListener.class);

    private final List<StreamingQueryListener> signals = new ArrayList<>();

    /** Used by Spark when attached through {@code spark.sql.streaming.streamingQueryListeners}. */
    public StreamwatchListener(SparkConf conf) {
        StreamwatchSettings settings = StreamwatchSettings.from(conf);
        for (Signal signal : settings.signals()) {
            switch (signal) {
                case DURATION -> start(signal, () -> new BatchDurationListener(conf));
                case HEALTH -> start(signal, () -> new QueryHealthListener(conf));
                case STATUS -> start(signal, () -> new QueryStatusListener(conf));
                case MONITORING -> start(signal, () -> new MonitoringHealthListener(conf));
                case KAFKA_LAG -> start(signal, () -> new KafkaLagListener(conf));
                case KAFKA_COMMITS -> {
                    if (!conf.get(StreamwatchSettings.KAFKA_COMMIT_GROUP, "").isBlank()) {
                        start(signal, () -> new KafkaOffsetCommitListener(conf));
                    }
                }
                case DELTA -> start(signal, () -> new ReaderVersionListener(conf));
                case EVENT_TIME -> start(signal, () -> new EventTimeListener(conf));
            }
        }
        LOG.info("streamwatch: signals {} for every query, pushed to {}", Signal.names(settings.signals()),
                settings.pushgateway().map(Object::toString).orElse("nowhere"));
    }

    public StreamwatchListener() {
        this(SparkEnv.get() == null ? new SparkConf(false) : SparkEnv.get().conf());
    }

    private void start(Signal signal, Supplier<StreamingQueryListener> listener) {
        try {
            signals.add(listener.get());
        } catch (Throwable t) {
            LOG.warn("streamwatch: the {} signal is off ({}: {}); the other signals run", signal, t.getClass().getSimpleName(),
                    String.valueOf(t.getMessage()).lines().findFirst().orElse(""));
        }
    }

    /** How many signals run (those asked for, less those that could not start). */
    public int runningSignals() {
        return signals.size();
    }

    @Override
    public void onQueryStarted(QueryStartedEvent event) {
        each(signal -> signal.onQueryStarted(event));
    }

    @Override
    public void onQueryProgress(QueryProgressEvent event) {
        each(signal -> signal.onQueryProgress(event));
    }

    @Override
    public void onQueryIdle(QueryIdleEvent event) {
        each(signal -> signal.onQueryIdle(event));
    }

    @Override
    public void onQueryTerminated(QueryTerminatedEvent event) {
        each(signal -> signal.onQueryTerminated(event));
    }

    /**
     * Hands an event to each signal's listener in turn. They guard their own callbacks; this keeps a linkage error of
     * one from reaching the next.
     */
    private void each(Consumer<StreamingQueryListener> callback) {
        for (StreamingQueryListener signal : signals) {
            try {
                callback.accept(signal);
            } catch (Throwable t) {
                LOG.debug("streamwatch: a signal's callback failed", t);
            }
        }
    }
}
