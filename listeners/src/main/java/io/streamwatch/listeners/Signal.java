package io.streamwatch.listeners;

import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The signals {@link StreamwatchListener} can turn on, by the names {@code spark.streamwatch.signals} takes
 * (default {@code all}). Each applies to the queries it fits: a query without a Kafka source pushes no Kafka lag.
 */
public enum Signal {
    /** Batch duration and the run's first batch ({@link BatchDurationListener}). */
    DURATION("duration"),
    /** Up, running batch, last progress, failure, warming up ({@link QueryHealthListener}). */
    HEALTH("health"),
    /** OK, falling behind, stalled, stopped, failed; rates and backlog per source ({@link QueryStatusListener}). */
    STATUS("status"),
    /** streamwatch's own health: dropped listener events, the publisher's pushes and outages ({@link MonitoringHealthListener}). */
    MONITORING("monitoring"),
    /** Kafka sources: offsets not yet processed, per partition ({@link KafkaLagListener}). */
    KAFKA_LAG("kafka-lag"),
    /** Kafka sources: processed offsets committed to a consumer group, when {@code spark.streamwatch.kafka.commitGroup} is set ({@link KafkaOffsetCommitListener}). */
    KAFKA_COMMITS("kafka-commits"),
    /** Delta sources: reader version, lag in versions and seconds, backlog ({@link ReaderVersionListener}). */
    DELTA("delta"),
    /** Event time and state: event-time lag, watermark, late rows, state size ({@link EventTimeListener}). */
    EVENT_TIME("event-time");

    public static final Set<Signal> ALL = Collections.unmodifiableSet(EnumSet.allOf(Signal.class));

    private final String settingName;

    Signal(String settingName) {
        this.settingName = settingName;
    }

    /** The name {@code spark.streamwatch.signals} knows it by. */
    public String settingName() {
        return settingName;
    }

    /** A comma-separated list of signal names, or {@code all}; unknown names are refused, naming the known ones. */
    static Set<Signal> parse(String text) {
        EnumSet<Signal> signals = EnumSet.noneOf(Signal.class);
        for (String name : text.split(",")) {
            String wanted = name.trim().toLowerCase(Locale.ROOT);
            if (wanted.isEmpty()) {
                continue;
            }
            if (wanted.equals("all")) {
                return ALL;
            }
            signals.add(Arrays.stream(values()).filter(s -> s.settingName.equals(wanted)).findFirst().orElseThrow(() ->
                    new IllegalArgumentException("unknown signal '" + wanted + "'; known: all, " + names(ALL))));
        }
        if (signals.isEmpty()) {
            throw new IllegalArgumentException("no signal named");
        }
        return Collections.unmodifiableSet(signals);
    }

    static String names(Set<Signal> signals) {
        return signals.stream().map(Signal::settingName).collect(Collectors.joining(","));
    }

    @Override
    public String toString() {
        return settingName;
    }
}
