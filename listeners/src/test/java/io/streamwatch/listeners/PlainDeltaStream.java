package io.streamwatch.listeners;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.Trigger;

/**
 * An existing Spark job that knows nothing of streamwatch: writes versions 0 and 1 of a Delta table and streams
 * it once (availableNow) into a noop sink, or, with a third argument {@code continuous}, every 500 ms until the
 * JVM is stopped; with {@code busy}, a rate source of eight partitions is streamed instead, batch after batch, so
 * that Spark's listener bus carries a steady flow of job, stage and task events. Run in its own JVM, the listeners
 * come from configuration alone.
 */
public final class PlainDeltaStream {
    public static void main(String[] args) throws Exception {
        String table = args[0];
        String checkpoint = args[1];
        SparkSession spark = SparkSession.builder().appName("plain-delta-stream")
                .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
                .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
                .getOrCreate();
        spark.range(5).write().format("delta").mode("append").save(table);
        spark.range(5).write().format("delta").mode("append").save(table);
        String mode = args.length > 2 ? args[2] : "once";
        Dataset<Row> source = mode.equals("busy")
                ? spark.readStream().format("rate").option("rowsPerSecond", 1000).option("numPartitions", 8).load()
                : spark.readStream().format("delta").load(table);
        source.writeStream()
                .queryName("plain_stream")
                .format("noop")
                .option("checkpointLocation", checkpoint)
                .trigger(switch (mode) {
                    case "continuous" -> Trigger.ProcessingTime(500);
                    case "busy" -> Trigger.ProcessingTime(0);
                    default -> Trigger.AvailableNow();
                })
                .start()
                .awaitTermination();
        spark.stop();
    }
}
