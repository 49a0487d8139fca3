package io.streamwatch.jobs.notify;

import io.streamwatch.jobs.common.DeltaTables;
import io.streamwatch.jobs.common.ExactlyOnceAppend;

import io.streamwatch.jobs.notify.novu.NovuClient;
import java.sql.Timestamp;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * What the notification job did, in two Delta tables: the deliveries (every trigger and cancel with its outcome,
 * which also tells a retraction which trigger to cancel after a restart) and the dead letters (those Novu refused or
 * did not deliver, with the reason, the payload and the recipients, ready to be replayed). Each micro-batch is
 * appended once (keyed by the checkpoint's query id and the batch id).
 */
final class NotificationLog {
    static final String TRIGGER = "trigger";
    static final String CANCEL = "cancel";
    static final String TEST_MODE = "test_mode";
    static final StructType SCHEMA = new StructType()
            .add("commit_version", DataTypes.LongType, false)
            .add("change_type", DataTypes.StringType, false)
            .add("action", DataTypes.StringType, false)
            .add("transaction_id", DataTypes.StringType, false)
            .add("row_hash", DataTypes.StringType, false)
            .add("outcome", DataTypes.StringType, false)
            .add("reason", DataTypes.StringType, false)
            .add("http_status", DataTypes.IntegerType, false)
            .add("payload", DataTypes.StringType, false)
            .add("recipients", DataTypes.createArrayType(DataTypes.StringType), false)
            .add("recorded_at", DataTypes.TimestampType, false);
    private static final String COLUMNS = "commit_version BIGINT NOT NULL, change_type STRING NOT NULL, action STRING NOT NULL, "
            + "transaction_id STRING NOT NULL, row_hash STRING NOT NULL, outcome STRING NOT NULL, reason STRING NOT NULL, "
            + "http_status INT NOT NULL, payload STRING NOT NULL, recipients ARRAY<STRING> NOT NULL, recorded_at TIMESTAMP NOT NULL, "
            + "query_id STRING NOT NULL, batch_id BIGINT NOT NULL";

    /** How one change was handled: the action taken, the transaction id it concerned, and Novu's outcome. */
    record Entry(ChangeFeed.Change change, String action, String transactionId, String outcome, String reason, int httpStatus, long recordedAtMillis) {
        boolean deadLetter() {
            return NovuClient.FAILED.equals(outcome);
        }

        Row row() {
            return RowFactory.create(change.commitVersion(), change.changeType(), action, transactionId, change.rowHash(), outcome, reason,
                    httpStatus, change.payloadJson(), change.recipients().toArray(new String[0]), new Timestamp(recordedAtMillis));
        }
    }

    private final String deliveriesPath;
    private final String deadLetterPath;

    NotificationLog(String deliveriesPath, String deadLetterPath) {
        this.deliveriesPath = deliveriesPath;
        this.deadLetterPath = deadLetterPath;
    }

    String deliveriesPath() {
        return deliveriesPath;
    }

    String deadLetterPath() {
        return deadLetterPath;
    }

    void createIfMissing(SparkSession spark) {
        DeltaTables.createIfMissing(spark, deliveriesPath, COLUMNS, "'delta.appendOnly' = 'true'");
        DeltaTables.createIfMissing(spark, deadLetterPath, COLUMNS, "'delta.appendOnly' = 'true'");
    }

    /** Appends a micro-batch's entries (the failed ones to the dead letters too); a batch already appended is skipped. */
    void append(SparkSession spark, ExactlyOnceAppend append, List<Entry> entries) {
        if (entries.isEmpty()) {
            return;
        }
        List<Row> failed = entries.stream().filter(Entry::deadLetter).map(Entry::row).toList();
        if (!failed.isEmpty()) {
            append.taggedTo(spark.createDataFrame(failed, SCHEMA), deadLetterPath);
        }
        append.taggedTo(spark.createDataFrame(entries.stream().map(Entry::row).toList(), SCHEMA), deliveriesPath);
    }

    /**
     * The triggers that can still be cancelled, by row: those Novu accepted and no cancel followed, oldest first (a
     * retraction cancels the newest trigger of identical rows).
     */
    OpenTriggers openTriggers(SparkSession spark) {
        List<Row> rows = spark.read().format("delta").load(deliveriesPath)
                .where(functions.col("outcome").isin(NovuClient.ACCEPTED, NovuClient.ACCEPTED_BEFORE_0_3, NovuClient.ALREADY_TRIGGERED, TEST_MODE))
                .select("action", "transaction_id", "row_hash", "commit_version").orderBy("commit_version", "transaction_id").collectAsList();
        Set<String> cancelled = new HashSet<>();
        rows.stream().filter(row -> row.getString(0).equals(CANCEL)).forEach(row -> cancelled.add(row.getString(1)));
        OpenTriggers open = new OpenTriggers();
        rows.stream().filter(row -> row.getString(0).equals(TRIGGER) && !cancelled.contains(row.getString(1)))
                .forEach(row -> open.add(row.getString(2), row.getString(1)));
        return open;
    }

    /** Triggers not cancelled yet, by the hash of the row they were for. */
    static final class OpenTriggers {
        private final Map<String, Deque<String>> byRow = new HashMap<>();

        void add(String rowHash, String transactionId) {
            Deque<String> triggers = byRow.computeIfAbsent(rowHash, row -> new ArrayDeque<>());
            if (!triggers.contains(transactionId)) {
                triggers.addLast(transactionId);
            }
        }

        /** The newest open trigger of the row, no longer open; empty when none was sent for it. */
        Optional<String> take(String rowHash) {
            Deque<String> triggers = byRow.get(rowHash);
            if (triggers == null || triggers.isEmpty()) {
                return Optional.empty();
            }
            String newest = triggers.removeLast();
            if (triggers.isEmpty()) {
                byRow.remove(rowHash);
            }
            return Optional.of(newest);
        }

        /** Puts back what {@link #take} returned (a cancel that did not happen). */
        void restore(String rowHash, String transactionId) {
            add(rowHash, transactionId);
        }

        int size() {
            return byRow.values().stream().mapToInt(Deque::size).sum();
        }
    }
}
