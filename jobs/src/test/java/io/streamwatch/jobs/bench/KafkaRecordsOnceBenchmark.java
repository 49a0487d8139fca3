package io.streamwatch.jobs.bench;

import io.streamwatch.jobs.common.DeltaTables;
import io.streamwatch.jobs.common.ExactlyOnceAppend;
import io.streamwatch.jobs.common.KafkaRecordsOnce;
import io.streamwatch.jobs.common.SparkSessions;
import io.streamwatch.testkit.Figures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.delta.DeltaLog;
import org.apache.spark.sql.execution.streaming.StreamExecution;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cost of one micro-batch's append, once per Kafka record ({@link KafkaRecordsOnce}: a filter against the
 * offsets the table holds, recorded in the commit) beside the query-and-batch idempotent append it replaced
 * ({@link ExactlyOnceAppend}, Delta's {@code txnAppId}/{@code txnVersion}), interleaved, on a new table and on one
 * aged to 10,000 commits (10,000 files, the log of all of them kept). Run with {@code mvn -Pbenchmark verify}.
 */
@Tag("benchmark")
class KafkaRecordsOnceBenchmark {
    private static final int AGED_COMMITS = 10_000;
    private static final int BATCHES = 15;
    private static final int PARTITIONS = 20;
    private static final int RECORDS_PER_PARTITION = 50;
    private static final StructType ROWS = new StructType().add("topic", DataTypes.StringType).add("partition", DataTypes.IntegerType)
            .add("offset", DataTypes.LongType).add("payload", DataTypes.StringType);
    private static final String COLUMNS = "topic STRING NOT NULL, `partition` INT NOT NULL, `offset` BIGINT NOT NULL, payload STRING";

    @TempDir
    Path dir;

    private long nextOffset;
    private long batchId;

    @Test
    void appendCostPerBatchOnANewAndAnAgedTable() throws IOException {
        SparkSession spark = SparkSessions.getOrCreate("benchmark");
        String young = dir.resolve("young").toString();
        String aged = dir.resolve("aged").toString();
        DeltaTables.createIfMissing(spark, young, COLUMNS, "'delta.appendOnly' = 'true'");
        DeltaTables.createIfMissing(spark, aged, COLUMNS, "'delta.appendOnly' = 'true'");
        String recordsQuery = UUID.randomUUID().toString();
        String batchesQuery = UUID.randomUUID().toString();
        for (int warm = 0; warm < 10; warm++) {
            onceAppend(spark, young, recordsQuery);
            batchAppend(spark, young, batchesQuery);
            onceAppend(spark, aged, recordsQuery);
        }
        long ageing = System.nanoTime();
        age(spark, aged, recordsQuery);
        double ageSeconds = (System.nanoTime() - ageing) / 1e9;
        for (int warm = 0; warm < 3; warm++) {
            batchAppend(spark, aged, batchesQuery);
        }

        List<Long> youngOnce = new ArrayList<>();
        List<Long> youngBatch = new ArrayList<>();
        List<Long> agedOnce = new ArrayList<>();
        List<Long> agedBatch = new ArrayList<>();
        for (int batch = 0; batch < BATCHES; batch++) {
            youngOnce.add(onceAppend(spark, young, recordsQuery));
            agedOnce.add(onceAppend(spark, aged, recordsQuery));
            youngBatch.add(batchAppend(spark, young, batchesQuery));
            agedBatch.add(batchAppend(spark, aged, batchesQuery));
        }
        long agedVersion = DeltaLog.forTable(spark, aged).update(false, scala.Option.empty(), scala.Option.empty()).version();
        long logFiles;
        try (Stream<Path> files = Files.list(Path.of(aged, "_delta_log"))) {
            logFiles = files.count();
        }
        Figures.print("append cost per micro-batch (" + PARTITIONS * RECORDS_PER_PARTITION + " rows over " + PARTITIONS
                        + " partitions), median and max of " + BATCHES + " interleaved batches",
                String.format("%-44s %10s %10s", "", "median", "max"),
                row("once per record, new table", youngOnce),
                row("once per record, aged table", agedOnce),
                row("once per query batch (txnAppId), new table", youngBatch),
                row("once per query batch (txnAppId), aged table", agedBatch),
                String.format("once per record minus txnAppId (what the per-record check costs): new %s, aged %s",
                        Figures.millis(Figures.median(youngOnce) - Figures.median(youngBatch)),
                        Figures.millis(Figures.median(agedOnce) - Figures.median(agedBatch))),
                String.format("aged table: version %d, %d files in _delta_log, %d transaction ids, in the checksum file: %s; aged in %.0f s",
                        agedVersion, logFiles, DeltaLog.forTable(spark, aged).unsafeVolatileSnapshot().transactions().size(),
                        Files.readString(Path.of(aged, "_delta_log", String.format("%020d.crc", agedVersion))).contains("\"setTransactions\""),
                        ageSeconds),
                String.format("aged / new, once per record: %.2f; txnAppId: %.2f", Figures.median(agedOnce) / Figures.median(youngOnce),
                        Figures.median(agedBatch) / Figures.median(youngBatch)));
    }

    private static String row(String label, List<Long> nanos) {
        return String.format("%-44s %10s %10s", label, Figures.millis(Figures.median(nanos)),
                Figures.millis(nanos.stream().mapToLong(Long::longValue).max().orElse(0)));
    }

    private long onceAppend(SparkSession spark, String path, String queryId) {
        Dataset<Row> rows = batch(spark, queryId);
        long started = System.nanoTime();
        KafkaRecordsOnce.of(rows, batchId).appendTo(path, rows);
        return System.nanoTime() - started;
    }

    private long batchAppend(SparkSession spark, String path, String queryId) {
        Dataset<Row> rows = batch(spark, queryId);
        long started = System.nanoTime();
        ExactlyOnceAppend.of(spark, batchId).to(rows, path);
        return System.nanoTime() - started;
    }

    /** The next batch's rows, for the query whose id the calling thread now carries. */
    private Dataset<Row> batch(SparkSession spark, String queryId) {
        spark.sparkContext().setLocalProperty(StreamExecution.QUERY_ID_KEY(), queryId);
        batchId++;
        List<Row> rows = new ArrayList<>();
        for (int partition = 0; partition < PARTITIONS; partition++) {
            for (int record = 0; record < RECORDS_PER_PARTITION; record++) {
                rows.add(RowFactory.create("metrics", partition, nextOffset + record, "record " + record));
            }
        }
        nextOffset += RECORDS_PER_PARTITION;
        return spark.createDataFrame(rows, ROWS).repartition(2);
    }

    /**
     * Ages the table to {@link #AGED_COMMITS} commits as its writer would have: each a copy of its last commit (one
     * new file, the same transaction ids moved on), then a checkpoint, then ten commits through Delta.
     */
    private void age(SparkSession spark, String path, String queryId) throws IOException {
        DeltaAging.copyLastCommit(spark, path, AGED_COMMITS - 11);
        nextOffset += (long) RECORDS_PER_PARTITION * AGED_COMMITS;
        batchId += AGED_COMMITS;
        for (int commit = 0; commit < 10; commit++) {
            onceAppend(spark, path, queryId);
        }
    }
}
