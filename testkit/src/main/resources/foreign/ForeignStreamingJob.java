import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.Trigger;

/**
 * A user's streaming job that knows nothing of streamwatch, compiled by the compatibility test against each runtime's
 * own jars. Arguments: a work folder, then what to stream: {@code kafka=SERVERS/TOPIC} (a Kafka source),
 * {@code delta} (a Delta table of three commits, versions 0 to 2) and {@code rate} (a rate source, nothing else on
 * the classpath needed). The queries run every 500 ms until the file {@code stop} appears in the work folder; then
 * they stop and the job ends with 0, or with 1 as soon as a query fails.
 */
public final class ForeignStreamingJob {
    public static void main(String[] args) throws Exception {
        Path work = Path.of(args[0]);
        boolean delta = List.of(args).contains("delta");
        SparkSession.Builder builder = SparkSession.builder().appName("foreign-streaming-job");
        if (delta) {
            builder.config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
                    .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog");
        }
        SparkSession spark = builder.getOrCreate();
        List<StreamingQuery> queries = new ArrayList<>();
        for (String source : List.of(args).subList(1, args.length)) {
            if (source.startsWith("kafka=")) {
                String[] serversAndTopic = source.substring("kafka=".length()).split("/");
                queries.add(spark.readStream().format("kafka")
                        .option("kafka.bootstrap.servers", serversAndTopic[0])
                        .option("subscribe", serversAndTopic[1])
                        .option("startingOffsets", "earliest")
                        .option("maxOffsetsPerTrigger", 10)
                        .load()
                        .writeStream().queryName("orders_from_kafka").format("noop")
                        .option("checkpointLocation", work.resolve("kafka-checkpoint").toString())
                        .trigger(Trigger.ProcessingTime(500)).start());
            } else if (source.equals("delta")) {
                String table = work.resolve("orders").toString();
                for (int commit = 0; commit < 3; commit++) {
                    spark.range(10).write().format("delta").mode("append").save(table);
                }
                queries.add(spark.readStream().format("delta").option("maxFilesPerTrigger", 1).load(table)
                        .writeStream().queryName("orders_from_delta").format("noop")
                        .option("checkpointLocation", work.resolve("delta-checkpoint").toString())
                        .trigger(Trigger.ProcessingTime(500)).start());
            } else if (source.equals("rate")) {
                queries.add(spark.readStream().format("rate").option("rowsPerSecond", 10).load()
                        .writeStream().queryName("rate_stream").format("noop")
                        .option("checkpointLocation", work.resolve("rate-checkpoint").toString())
                        .trigger(Trigger.ProcessingTime(500)).start());
            }
        }
        while (!Files.exists(work.resolve("stop"))) {
            for (StreamingQuery query : queries) {
                if (!query.isActive()) {
                    System.err.println("ForeignStreamingJob: query " + query.name() + " ended: " + query.exception());
                    System.exit(1);
                }
            }
            Thread.sleep(200);
        }
        for (StreamingQuery query : queries) {
            query.stop();
        }
        spark.stop();
        System.out.println("ForeignStreamingJob: stopped");
    }
}
