package io.streamwatch.listeners;

import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.Trigger;

/**
 * An existing Spark job that knows nothing of streamwatch: writes versions 0 and 1 of a Delta table and streams
 * it once (availableNow) into a noop sink, or, with a third argument {@code continuous}, every 500 ms until the
 * JVM is stopped. Run in its own JVM, the listeners come from configuration alone.
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
        spark.readStream().format("delta").load(table).writeStream()
                .queryName("plain_stream")
                .format("noop")
                .option("checkpointLocation", checkpoint)
                .trigger(args.length > 2 && args[2].equals("continuous") ? Trigger.ProcessingTime(500) : Trigger.AvailableNow())
                .start()
                .awaitTermination();
        spark.stop();
    }
}
