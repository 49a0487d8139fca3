package io.streamwatch.jobs.common;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import java.util.ArrayList;
import java.util.ConcurrentModificationException;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.delta.DeltaLog;
import org.apache.spark.sql.delta.DeltaOperations;
import org.apache.spark.sql.delta.OptimisticTransaction;
import org.apache.spark.sql.delta.actions.Action;
import org.apache.spark.sql.delta.actions.AddFile;
import org.apache.spark.sql.delta.actions.FileAction;
import org.apache.spark.sql.delta.actions.SetTransaction;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Option;
import scala.collection.JavaConverters;

/**
 * A micro-batch's Delta appends of rows made from Kafka records, at most once per record whatever happens to the
 * checkpoint: a re-run batch, a new checkpoint on the same topic reading it again from {@code earliest}, a second
 * job writing the same records at the same time.
 *
 * <p>The table itself records which records it holds, in its own commits, as Delta transaction ids: per
 * topic-partition and query, {@code streamwatch-kafka:<topic>:<partition>:<query id>:<first offset>} with the last
 * offset as its version (a query reads a partition's offsets without a gap, so one range per query and partition).
 * An append drops every row whose record lies in a range the table holds, and records the batch's ranges in the
 * same commit. Two writers of one topic both touch its marker {@code streamwatch-kafka-lock:<topic>}: Delta refuses
 * the second commit, which filters again against the first and retries. The query's own
 * {@code streamwatch:<query id>} / batch id is recorded too ({@link ExactlyOnceAppend}), the cheap answer for a batch
 * re-run after a crash. Costs per commit: a map lookup per partition in the transaction ids Delta loads anyway
 * (from the checksum file while they are few); ranges grow only with checkpoint resets, not with the table.
 */
public final class KafkaRecordsOnce {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaRecordsOnce.class);
    private static final String RANGE = "streamwatch-kafka:";
    private static final String LOCK = "streamwatch-kafka-lock:";
    private static final int COMMIT_ATTEMPTS = 10;

    /** One topic-partition's offsets in this batch, first and last (inclusive). */
    public record Range(String topic, int partition, long first, long last) {
    }

    private final SparkSession spark;
    private final ExactlyOnceAppend batch;
    private final List<Range> ranges;

    private KafkaRecordsOnce(SparkSession spark, ExactlyOnceAppend batch, List<Range> ranges) {
        this.spark = spark;
        this.batch = batch;
        this.ranges = ranges;
    }

    /**
     * The appends of this micro-batch of the query running on the calling thread (a foreachBatch function);
     * {@code records}: the batch's Kafka records (at least {@code topic}, {@code partition}, {@code offset}).
     */
    public static KafkaRecordsOnce of(Dataset<Row> records, long batchId) {
        SparkSession spark = records.sparkSession();
        List<Range> ranges = records.groupBy("topic", "partition")
                .agg(org.apache.spark.sql.functions.min("offset"), org.apache.spark.sql.functions.max("offset"))
                .collectAsList().stream().map(row -> new Range(row.getString(0), row.getInt(1), row.getLong(2), row.getLong(3))).toList();
        return new KafkaRecordsOnce(spark, ExactlyOnceAppend.of(spark, batchId), ranges);
    }

    /**
     * The appends of a query's batches up to {@code batchId} whose records lie in {@code ranges}, made outside the
     * batch (a writer that records several batches per commit, off the query's thread).
     */
    public static KafkaRecordsOnce of(SparkSession spark, String queryId, long batchId, List<Range> ranges) {
        return new KafkaRecordsOnce(spark, ExactlyOnceAppend.forQuery(queryId, batchId), List.copyOf(ranges));
    }

    /** The ranges of one query's consecutive batches as one range per topic-partition (a query reads without gaps). */
    public static List<Range> merged(List<Range> ranges) {
        Map<String, Range> byPartition = new java.util.LinkedHashMap<>();
        for (Range range : ranges) {
            byPartition.merge(range.topic() + ":" + range.partition(), range, (a, b) ->
                    new Range(a.topic(), a.partition(), Math.min(a.first(), b.first()), Math.max(a.last(), b.last())));
        }
        return List.copyOf(byPartition.values());
    }

    /**
     * What the table at {@code path} holds now, of any topic-partition: for a query that filters every batch of a run
     * against what the table held when the run began (the records a reset checkpoint reads again).
     */
    public static Held heldBy(SparkSession spark, String path) {
        List<Range> all = new ArrayList<>();
        for (Map.Entry<String, Object> entry : transactions(spark, path).entrySet()) {
            parse(entry.getKey(), entry.getValue()).ifPresent(all::add);
        }
        return new Held(List.copyOf(all));
    }

    /** Ranges of Kafka records a table holds. */
    public record Held(List<Range> ranges) {
        /** The rows (with their records' {@code topic}, {@code partition}, {@code offset}) outside these ranges. */
        public Dataset<Row> notIn(Dataset<Row> rows) {
            return ranges.isEmpty() ? rows : rows.where(notHeld(ranges));
        }

        /** Whether one record lies in these ranges (for a reader outside Spark). */
        public boolean holds(String topic, int partition, long offset) {
            for (Range range : ranges) {
                if (range.partition() == partition && offset >= range.first() && offset <= range.last() && range.topic().equals(topic)) {
                    return true;
                }
            }
            return false;
        }
    }

    public ExactlyOnceAppend batch() {
        return batch;
    }

    /** The batch's ranges per topic-partition. */
    public List<Range> ranges() {
        return ranges;
    }

    /** The records (or rows with their records' {@code topic}, {@code partition}, {@code offset}) the table at {@code path} does not hold. */
    public Dataset<Row> notHeldBy(String path, Dataset<Row> rows) {
        return rows.where(notHeld(heldRanges(transactions(spark, path))));
    }

    /**
     * Appends the rows whose records the table at {@code path} does not hold yet, and records this batch's ranges
     * with them. {@code rows} carry their record's {@code topic}, {@code partition} and {@code offset}; the table's
     * columns are taken from them by name ({@code query_id} and {@code batch_id}, when the table has them, are this
     * batch's, unless the rows carry their own {@code batch_id}). Nothing is committed when no row is new.
     *
     * @return the rows appended (as the written files' statistics count them)
     */
    public long appendTo(String path, Dataset<Row> rows) {
        DeltaLog log = DeltaLog.forTable(spark, path);
        for (int attempt = 1; ; attempt++) {
            OptimisticTransaction txn = log.startTransaction();
            if (txn.txnVersion(batch.appId()) >= batch.batchId()) {
                return 0; // this batch of this query is in the table already
            }
            Map<String, Object> held = JavaConverters.mapAsJavaMap(txn.snapshot().transactions());
            List<Range> heldRanges = heldRanges(held);
            Dataset<Row> fresh = rows.where(notHeld(heldRanges));
            List<FileAction> files = JavaConverters.seqAsJavaList(txn.writeFiles(tableRows(fresh, txn.metadata().schema())));
            long count = files.stream().mapToLong(KafkaRecordsOnce::records).sum();
            if (count == 0) {
                return 0; // an empty file Spark may have written is left to VACUUM
            }
            List<Action> actions = new ArrayList<>(files);
            actions.addAll(ledger(txn, held));
            try {
                txn.commit(JavaConverters.asScalaBuffer(actions).toSeq(), new DeltaOperations.Write(SaveMode.Append, Option.empty(), Option.empty(), Option.empty()));
                return count;
            } catch (ConcurrentModificationException e) { // Delta's concurrent commit exceptions
                if (attempt == COMMIT_ATTEMPTS) {
                    throw e;
                }
                LOG.info("another writer committed to {} first ({}); filtering batch {} again", path, e.getClass().getSimpleName(), batch.batchId());
            }
        }
    }

    /** A written file's rows (from its statistics; unknown counts as some). */
    private static long records(FileAction file) {
        if (file instanceof AddFile add) {
            Option<Object> records = add.numLogicalRecords();
            return records.isDefined() ? (Long) records.get() : 1;
        }
        return 0;
    }

    /** This batch's ranges as transaction ids: each partition's range of this query extended, its lock moved on. */
    private List<Action> ledger(OptimisticTransaction txn, Map<String, Object> held) {
        Option<Object> now = Option.apply(System.currentTimeMillis());
        List<Action> actions = new ArrayList<>();
        actions.add(new SetTransaction(batch.appId(), batch.batchId(), now));
        for (Range range : ranges) {
            String prefix = RANGE + range.topic() + ":" + range.partition() + ":" + batch.queryId() + ":";
            String rangeId = held.keySet().stream().filter(id -> id.startsWith(prefix)).findFirst().orElse(prefix + range.first());
            actions.add(new SetTransaction(rangeId, range.last(), now));
        }
        for (String topic : ranges.stream().map(Range::topic).distinct().toList()) {
            String lock = LOCK + topic;
            actions.add(new SetTransaction(lock, txn.txnVersion(lock) + 1, now)); // txnVersion: a concurrent commit of the lock fails ours
        }
        return actions;
    }

    /** The ranges the table holds on this batch's partitions. */
    private List<Range> heldRanges(Map<String, Object> held) {
        List<Range> found = new ArrayList<>();
        for (Map.Entry<String, Object> entry : held.entrySet()) {
            parse(entry.getKey(), entry.getValue())
                    .filter(heldRange -> ranges.stream().anyMatch(range -> range.topic().equals(heldRange.topic()) && range.partition() == heldRange.partition()))
                    .ifPresent(found::add);
        }
        return found;
    }

    /** The range a transaction id records, if it is one of ours. */
    private static java.util.Optional<Range> parse(String id, Object version) {
        if (!id.startsWith(RANGE)) {
            return java.util.Optional.empty();
        }
        String[] parts = id.substring(RANGE.length()).split(":");
        if (parts.length != 4) {
            return java.util.Optional.empty();
        }
        try {
            return java.util.Optional.of(new Range(parts[0], Integer.parseInt(parts[1]), Long.parseLong(parts[3]), (Long) version));
        } catch (NumberFormatException e) {
            LOG.warn("ignoring transaction id {}: not a streamwatch Kafka range", id);
            return java.util.Optional.empty();
        }
    }

    private static Map<String, Object> transactions(SparkSession spark, String path) {
        return JavaConverters.mapAsJavaMap(DeltaLog.forTable(spark, path).update(false, Option.empty(), Option.empty()).transactions());
    }

    private static Column notHeld(List<Range> held) {
        Column any = lit(false);
        for (Range range : held) {
            any = any.or(col("topic").equalTo(range.topic()).and(col("partition").equalTo(range.partition()))
                    .and(col("offset").between(range.first(), range.last())));
        }
        return org.apache.spark.sql.functions.not(any);
    }

    /** The table's columns, by name and cast to the table's types. */
    private Dataset<Row> tableRows(Dataset<Row> fresh, StructType schema) {
        Dataset<Row> tagged = fresh;
        List<String> names = List.of(schema.fieldNames());
        if (names.contains("query_id")) {
            tagged = tagged.withColumn("query_id", lit(batch.queryId()));
        }
        if (names.contains("batch_id") && !List.of(fresh.columns()).contains("batch_id")) {
            tagged = tagged.withColumn("batch_id", lit(batch.batchId()));
        }
        List<Column> columns = new ArrayList<>();
        for (StructField field : schema.fields()) {
            columns.add(tagged.col("`" + field.name() + "`").cast(field.dataType()).as(field.name()));
        }
        return tagged.select(columns.toArray(Column[]::new));
    }
}
