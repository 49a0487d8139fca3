package io.streamwatch.jobs.common;

import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.streaming.StreamExecution;
import org.apache.spark.sql.functions;

/**
 * One micro-batch's idempotent Delta appends: a batch re-run after a crash writes nothing twice. The key is the running
 * query's persistent id ({@code txnAppId} {@code streamwatch:<query id>}) plus the batch id ({@code txnVersion}). Delta
 * skips every txnVersion at or below the last one it recorded for an appId, so the appId must be the checkpoint's own:
 * Spark keeps the query id in the checkpoint, the same across restarts of it (a re-run batch is skipped) and new for a
 * new checkpoint or another query (whose batch ids start again at 0 and must all be written).
 *
 * @param appId {@code streamwatch:<query id>}
 * @param batchId the micro-batch
 */
public record ExactlyOnceAppend(String appId, long batchId) {
    private static final String PREFIX = "streamwatch:";

    /** The appends of this micro-batch of the query running on the calling thread (a foreachBatch function). */
    public static ExactlyOnceAppend of(SparkSession spark, long batchId) {
        String queryId = spark.sparkContext().getLocalProperty(StreamExecution.QUERY_ID_KEY());
        if (queryId == null) {
            throw new IllegalStateException("not called from a streaming query: no " + StreamExecution.QUERY_ID_KEY());
        }
        return new ExactlyOnceAppend(PREFIX + queryId, batchId);
    }

    /** The appends of a batch of the query with this id, made outside the query. */
    public static ExactlyOnceAppend forQuery(String queryId, long batchId) {
        return new ExactlyOnceAppend(PREFIX + queryId, batchId);
    }

    /** The query's id, as the rows written record it. */
    public String queryId() {
        return appId.substring(PREFIX.length());
    }

    /** Delta's writer options that make the append idempotent. */
    public Map<String, String> options() {
        return Map.of("txnAppId", appId, "txnVersion", String.valueOf(batchId));
    }

    /** Appends the rows to the Delta table at {@code path}, unless this batch already did. */
    public void to(Dataset<Row> rows, String path) {
        rows.write().format("delta").mode("append").options(options()).save(path);
    }

    /** Appends the rows with the {@code query_id} and {@code batch_id} that wrote them, unless this batch already did. */
    public void taggedTo(Dataset<Row> rows, String path) {
        to(rows.withColumn("query_id", functions.lit(queryId())).withColumn("batch_id", functions.lit(batchId)), path);
    }
}
