package io.streamwatch.jobs.alarms;

import io.streamwatch.jobs.common.DeltaTables;
import io.streamwatch.jobs.common.KafkaQuarantine;
import io.streamwatch.rules.Alarm;
import io.streamwatch.rules.Operator;
import java.io.Serializable;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.delta.DeltaLog;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import scala.Option;

/**
 * The Delta {@code alarms} table (change data feed on, for notifications downstream) and its quarantine: one row
 * per alarm, unique by rule and metric record, with the query and micro-batch that raised it, written by the
 * {@link AlarmRecorder} from the {@link AlarmOutbox}; the rules' states (cooldowns, resolved messages) are read back
 * from it at a start.
 */
final class AlarmsTable {
    static final StructType SCHEMA = new StructType()
            .add("rule_id", DataTypes.StringType, false)
            .add("metric_name", DataTypes.StringType, false)
            .add("value", DataTypes.DoubleType, false)
            .add("threshold", DataTypes.DoubleType, false)
            .add("operator", DataTypes.StringType, false)
            .add("state", DataTypes.StringType, false)
            .add("metric_timestamp", DataTypes.TimestampType, false)
            .add("topic", DataTypes.StringType, false)
            .add("partition", DataTypes.IntegerType, false)
            .add("offset", DataTypes.LongType, false);
    static final String COLUMNS = "rule_id STRING NOT NULL, metric_name STRING NOT NULL, value DOUBLE NOT NULL, "
            + "threshold DOUBLE NOT NULL, operator STRING NOT NULL, state STRING NOT NULL, metric_timestamp TIMESTAMP NOT NULL, "
            + "topic STRING NOT NULL, `partition` INT NOT NULL, `offset` BIGINT NOT NULL, query_id STRING NOT NULL, batch_id BIGINT NOT NULL";
    /** The order of a batch's alarms, in which they are delivered and counted as delivered. */
    static final Comparator<Alarm> DELIVERY_ORDER = Comparator.comparing(Alarm::topic)
            .thenComparingInt(Alarm::partition).thenComparingLong(Alarm::offset).thenComparing(Alarm::ruleId).thenComparing(Alarm::state);

    /**
     * Written every few seconds for as long as the job runs, the table stays young: its log kept a week (not Delta's 30
     * days), its small files compacted by the recorder, the change data feed on.
     */
    static final String YOUNG = "'delta.enableChangeDataFeed' = 'true', "
            + "'delta.logRetentionDuration' = 'interval 7 days', 'delta.deletedFileRetentionDuration' = 'interval 7 days'";

    /** A rule's last alarm: whether it is firing, and when it last fired (for its cooldown). */
    record RuleState(boolean firing, long lastFiringMillis) implements Serializable {
        static final RuleState NONE = new RuleState(false, Long.MIN_VALUE);

        RuleState after(Alarm alarm) {
            return alarm.state() == Alarm.State.FIRING ? new RuleState(true, alarm.metricTimestampMillis())
                    : new RuleState(false, lastFiringMillis);
        }

        /** What an evaluation at {@code atMillis} raises ({@code raised} null: nothing) and the state after it. */
        record Evaluated(Alarm.State raised, RuleState next) {
        }

        /**
         * A stateful rule's evaluation, in record order: a match fires unless the cooldown since the rule's last alarm
         * has not passed; the first value that no longer matches after an alarm resolves it, with a message only when
         * the rule asks for one.
         */
        Evaluated evaluate(boolean matched, long atMillis, long cooldownMillis, boolean notifyResolved) {
            if (matched) {
                boolean cooled = lastFiringMillis == Long.MIN_VALUE || atMillis - lastFiringMillis >= cooldownMillis;
                return cooled ? new Evaluated(Alarm.State.FIRING, new RuleState(true, atMillis)) : new Evaluated(null, this);
            }
            if (firing) {
                return new Evaluated(notifyResolved ? Alarm.State.RESOLVED : null, new RuleState(false, lastFiringMillis));
            }
            return new Evaluated(null, this);
        }
    }

    private final String path;
    private final String quarantinePath;

    AlarmsTable(String path, String quarantinePath) {
        this.path = path;
        this.quarantinePath = quarantinePath;
    }

    String path() {
        return path;
    }

    String quarantinePath() {
        return quarantinePath;
    }

    void createIfMissing(SparkSession spark) {
        DeltaTables.createIfMissing(spark, path, COLUMNS, YOUNG);
        KafkaQuarantine.createIfMissing(spark, quarantinePath);
    }

    Dataset<Row> read(SparkSession spark) {
        return spark.read().format("delta").load(path);
    }

    /** The last micro-batch of this query that the table holds ({@code -1}: none), from Delta's idempotence records. */
    long lastBatchWritten(SparkSession spark, String appId) {
        Option<Object> version = DeltaLog.forTable(spark, path).update(false, Option.empty(), Option.empty()).transactions().get(appId);
        return version.isDefined() ? (Long) version.get() : -1L;
    }

    /** Every rule's state after the alarms the table holds (cooldowns and resolved messages continue across restarts). */
    Map<String, RuleState> ruleStates(SparkSession spark) {
        Map<String, RuleState> states = new HashMap<>();
        read(spark).groupBy("rule_id").agg(
                        org.apache.spark.sql.functions.expr("max_by(state, struct(metric_timestamp, `partition`, `offset`))").as("last_state"),
                        org.apache.spark.sql.functions.expr("max(CASE WHEN state = 'firing' THEN metric_timestamp END)").as("last_firing"))
                .collectAsList().forEach(row -> states.put(row.getString(0), new RuleState("firing".equals(row.getString(1)),
                        row.isNullAt(2) ? Long.MIN_VALUE : row.getTimestamp(2).getTime())));
        return states;
    }

    /** The alarm in a row whose {@link #SCHEMA} columns start at {@code first}. */
    static Alarm alarmOf(Row row, int first) {
        return new Alarm(row.getString(first), row.getString(first + 1), row.getDouble(first + 2), row.getDouble(first + 3),
                Operator.of(row.getString(first + 4)).orElseThrow(), Alarm.State.of(row.getString(first + 5)),
                row.getTimestamp(first + 6).getTime(), row.getString(first + 7), row.getInt(first + 8), row.getLong(first + 9));
    }

    static Row rowOf(Alarm alarm) {
        return RowFactory.create(alarm.ruleId(), alarm.metricName(), alarm.value(), alarm.threshold(), alarm.operator().symbol(),
                alarm.state().label(), new Timestamp(alarm.metricTimestampMillis()), alarm.topic(), alarm.partition(), alarm.offset());
    }
}
