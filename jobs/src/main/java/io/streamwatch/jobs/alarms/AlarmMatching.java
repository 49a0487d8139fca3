package io.streamwatch.jobs.alarms;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import com.fasterxml.jackson.databind.JsonNode;
import io.streamwatch.jobs.common.KafkaQuarantine;
import io.streamwatch.rules.Alarm;
import io.streamwatch.rules.Rule;
import io.streamwatch.rules.RuleIndex;
import io.streamwatch.rules.RuleJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.function.FlatMapGroupsFunction;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;

/**
 * Matches one micro-batch of metric records against the rules, on the executors: each record looks its rules up
 * in the broadcast {@link RuleIndex} (one lookup, never a scan of all rules). A rule without cooldown or resolved
 * messages alarms on every matching value where the record is; the others are decided per
 * rule in record order, from the state the alarms table left them in. A record that is not a metric is
 * quarantined with the reason.
 */
final class AlarmMatching implements AutoCloseable {
    static final String ALARM = "alarm";
    static final String EVALUATION = "evaluation";
    static final String QUARANTINE = "quarantine";
    /** A Kafka partition's offsets the batch read: {@code offset} to {@code last_offset}. */
    static final String RANGE = "range";
    static final StructType OUTCOME = new StructType()
            .add("kind", DataTypes.StringType)
            .add("rule_id", DataTypes.StringType)
            .add("metric_name", DataTypes.StringType)
            .add("value", DataTypes.DoubleType)
            .add("threshold", DataTypes.DoubleType)
            .add("operator", DataTypes.StringType)
            .add("state", DataTypes.StringType)
            .add("metric_timestamp", DataTypes.TimestampType)
            .add("topic", DataTypes.StringType)
            .add("partition", DataTypes.IntegerType)
            .add("offset", DataTypes.LongType)
            .add("matched", DataTypes.BooleanType)
            .add("cooldown_seconds", DataTypes.LongType)
            .add("notify_resolved", DataTypes.BooleanType)
            .add("key", DataTypes.StringType)
            .add("raw_value", DataTypes.StringType)
            .add("reason", DataTypes.StringType)
            .add("last_offset", DataTypes.LongType);

    private final Dataset<Row> outcomes;
    private final Broadcast<Map<String, AlarmsTable.RuleState>> states;
    private boolean cached;

    /**
     * {@code records}: the Kafka source's columns (key, value, topic, partition, offset, timestamp), matched in
     * {@code tasks} tasks (the cores: a task per Kafka partition costs more than it matches); {@code states}: the
     * stateful rules' states, null when no rule has any.
     */
    AlarmMatching(Dataset<Row> records, int tasks, Broadcast<RuleIndex> rules, Broadcast<Map<String, AlarmsTable.RuleState>> states) {
        this.outcomes = records.select("key", "value", "topic", "partition", "offset", "timestamp").coalesce(tasks)
                .mapPartitions(new MatchRecords(rules), Encoders.row(OUTCOME));
        this.states = states;
    }

    /** The batch's alarms (in delivery order), how many of its records are quarantined, and the records it read. */
    record Result(List<Alarm> alarms, long quarantined, List<io.streamwatch.jobs.common.KafkaRecordsOnce.Range> ranges) {
    }

    /**
     * Runs the matching: the stateless rules' alarms and the quarantined records where the records are, and when
     * some rules are stateful (cooldown, resolved messages) their alarms decided per rule (a shuffle that
     * stateless rules never pay for); the alarms collected in one job, of the quarantined records only that they are
     * there: their raw values stay on the executors, for {@link #quarantine()} to write from the cache.
     */
    Result collect(boolean anyStatefulRule) {
        if (anyStatefulRule) { // read twice: the stateless alarms and the evaluations
            outcomes.persist(StorageLevel.MEMORY_AND_DISK());
            cached = true;
        }
        Dataset<Row> found = outcomes.where("kind IN ('" + ALARM + "', '" + QUARANTINE + "', '" + RANGE + "')");
        if (anyStatefulRule) {
            Dataset<Row> stateful = outcomes.where("kind = '" + EVALUATION + "'")
                    .groupByKey((MapFunction<Row, String>) row -> row.getAs("rule_id"), Encoders.STRING())
                    .flatMapGroups(new DecideInOrder(states), Encoders.row(OUTCOME));
            found = found.union(stateful);
        }
        Column isQuarantined = col("kind").equalTo(QUARANTINE);
        List<Alarm> alarms = new ArrayList<>();
        List<io.streamwatch.jobs.common.KafkaRecordsOnce.Range> ranges = new ArrayList<>();
        long quarantined = 0;
        for (Row row : found.withColumn("key", when(isQuarantined, lit(null)).otherwise(col("key")))
                .withColumn("raw_value", when(isQuarantined, lit(null)).otherwise(col("raw_value"))).collectAsList()) {
            if (QUARANTINE.equals(row.getString(0))) {
                quarantined++;
            } else if (RANGE.equals(row.getString(0))) {
                ranges.add(new io.streamwatch.jobs.common.KafkaRecordsOnce.Range(row.getAs("topic"), row.getAs("partition"), row.getAs("offset"),
                        row.getAs("last_offset")));
            } else {
                alarms.add(AlarmsTable.alarmOf(row, 1));
            }
        }
        alarms.sort(AlarmsTable.DELIVERY_ORDER);
        return new Result(List.copyOf(alarms), quarantined, io.streamwatch.jobs.common.KafkaRecordsOnce.merged(ranges));
    }

    /** The quarantined records, in {@link KafkaQuarantine#SCHEMA} (read again where they are, never collected). */
    Dataset<Row> quarantine() {
        return outcomes.where("kind = '" + QUARANTINE + "'")
                .selectExpr("key", "raw_value AS value", "topic", "`partition`", "`offset`", "metric_timestamp AS timestamp", "reason");
    }

    /** Frees the batch's cache. */
    @Override
    public void close() {
        if (cached) {
            outcomes.unpersist();
        }
    }

    /**
     * A metric record read: its value, or why it is not a metric (no key, not a JSON object, no numeric {@code value}).
     * The one parser both engines use.
     */
    record Reading(double value, String reason) {
        static Reading of(String key, String raw) {
            if (key == null || key.isEmpty()) {
                return refused("no key: the key is the metric name");
            }
            if (raw == null) {
                return refused("no value");
            }
            JsonNode json;
            try {
                json = RuleJson.JSON.readTree(raw);
            } catch (IOException e) {
                return refused("not JSON: " + firstLine(e.getMessage()));
            }
            JsonNode valueNode = json == null || !json.isObject() ? null : json.get("value");
            if (json == null || !json.isObject()) {
                return refused("not a JSON object");
            } else if (valueNode == null || valueNode.isNull()) {
                return refused("no \"value\" field");
            } else if (!valueNode.isNumber()) {
                return refused("\"value\" must be a JSON number, was " + valueNode.getNodeType().name().toLowerCase(Locale.ROOT));
            }
            double value = valueNode.asDouble();
            return Double.isFinite(value) ? new Reading(value, null) : refused("\"value\" is out of range");
        }

        private static Reading refused(String reason) {
            return new Reading(Double.NaN, reason);
        }

        boolean isMetric() {
            return reason == null;
        }

        private static String firstLine(String message) {
            return message == null ? "" : message.lines().findFirst().orElse("");
        }
    }

    /** Parses each record and matches it against its metric's rules. */
    static final class MatchRecords implements MapPartitionsFunction<Row, Row> {
        private final Broadcast<RuleIndex> rules;

        MatchRecords(Broadcast<RuleIndex> rules) {
            this.rules = rules;
        }

        @Override
        public Iterator<Row> call(Iterator<Row> records) {
            RuleIndex index = rules.value();
            List<Row> out = new ArrayList<>();
            Map<String, long[]> ranges = new java.util.LinkedHashMap<>();
            return new Iterator<>() {
                private int next;
                private boolean rangesOut;

                @Override
                public boolean hasNext() {
                    while (next >= out.size() && records.hasNext()) {
                        out.clear();
                        next = 0;
                        Row record = records.next();
                        read(record, ranges);
                        match(record, index, out);
                    }
                    if (next >= out.size() && !rangesOut) {
                        rangesOut = true;
                        out.clear();
                        next = 0;
                        ranges.forEach((topicPartition, range) -> {
                            int colon = topicPartition.lastIndexOf(':');
                            out.add(RowFactory.create(RANGE, null, null, null, null, null, null, null, topicPartition.substring(0, colon),
                                    Integer.parseInt(topicPartition.substring(colon + 1)), range[0], null, null, null, null, null, null, range[1]));
                        });
                    }
                    return next < out.size();
                }

                @Override
                public Row next() {
                    if (!hasNext()) {
                        throw new NoSuchElementException();
                    }
                    return out.get(next++);
                }
            };
        }

        /** Widens the record's partition's range of offsets to the record. */
        static void read(Row record, Map<String, long[]> ranges) {
            long offset = record.getAs("offset");
            long[] range = ranges.computeIfAbsent(record.getAs("topic") + ":" + record.getAs("partition"), k -> new long[] {offset, offset});
            range[0] = Math.min(range[0], offset);
            range[1] = Math.max(range[1], offset);
        }

        static void match(Row record, RuleIndex index, List<Row> out) {
            String key = text(record.getAs("key"));
            String raw = text(record.getAs("value"));
            String topic = record.getAs("topic");
            int partition = record.getAs("partition");
            long offset = record.getAs("offset");
            Timestamp timestamp = record.getAs("timestamp");
            Reading reading = Reading.of(key, raw);
            String reason = reading.reason();
            double value = reading.value();
            if (reason != null) {
                out.add(RowFactory.create(QUARANTINE, null, null, null, null, null, null, timestamp, topic, partition, offset,
                        null, null, null, key, raw, reason, null));
                return;
            }
            for (Rule rule : index.rulesFor(key)) {
                boolean matched = rule.matches(value);
                if (rule.isStateful()) {
                    out.add(RowFactory.create(EVALUATION, rule.id(), key, value, rule.threshold(), rule.operator().symbol(), null,
                            timestamp, topic, partition, offset, matched, rule.cooldownSeconds(), rule.notifyResolved(), null, null, null, null));
                } else if (matched) {
                    out.add(RowFactory.create(ALARM, rule.id(), key, value, rule.threshold(), rule.operator().symbol(),
                            Alarm.State.FIRING.label(), timestamp, topic, partition, offset, true, 0L, false, null, null, null, null));
                }
            }
        }

        private static String text(byte[] bytes) {
            return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
        }
    }

    /**
     * One rule's matching values in record order: a match fires unless the rule's cooldown since its last alarm
     * has not passed; the first value that no longer matches after a fired alarm resolves it (a message only if
     * the rule asks for one).
     */
    static final class DecideInOrder implements FlatMapGroupsFunction<String, Row, Row> {
        private final Broadcast<Map<String, AlarmsTable.RuleState>> states;

        DecideInOrder(Broadcast<Map<String, AlarmsTable.RuleState>> states) {
            this.states = states;
        }

        @Override
        public Iterator<Row> call(String ruleId, Iterator<Row> evaluations) {
            List<Row> ordered = new ArrayList<>();
            evaluations.forEachRemaining(ordered::add);
            ordered.sort(Comparator.<Row, Timestamp>comparing(row -> row.getAs("metric_timestamp"))
                    .thenComparing(row -> (Integer) row.getAs("partition")).thenComparing(row -> (Long) row.getAs("offset")));
            AlarmsTable.RuleState state = states.value().getOrDefault(ruleId, AlarmsTable.RuleState.NONE);
            List<Row> alarms = new ArrayList<>();
            for (Row evaluation : ordered) {
                long at = ((Timestamp) evaluation.getAs("metric_timestamp")).getTime();
                AlarmsTable.RuleState.Evaluated evaluated = state.evaluate((Boolean) evaluation.getAs("matched"), at,
                        (Long) evaluation.getAs("cooldown_seconds") * 1000L, (Boolean) evaluation.getAs("notify_resolved"));
                state = evaluated.next();
                if (evaluated.raised() != null) {
                    alarms.add(RowFactory.create(ALARM, ruleId, evaluation.getAs("metric_name"), evaluation.getAs("value"),
                            evaluation.getAs("threshold"), evaluation.getAs("operator"), evaluated.raised().label(), evaluation.getAs("metric_timestamp"),
                            evaluation.getAs("topic"), evaluation.getAs("partition"), evaluation.getAs("offset"), true, null, null, null, null, null, null));
                }
            }
            return alarms.iterator();
        }
    }
}
