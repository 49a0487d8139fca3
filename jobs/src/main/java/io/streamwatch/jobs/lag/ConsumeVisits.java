package io.streamwatch.jobs.lag;

import io.streamwatch.jobs.common.BadFlagValue;
import io.streamwatch.jobs.common.DurationConverter;
import io.streamwatch.jobs.common.Jobs;
import io.streamwatch.jobs.common.PushOptions;
import io.streamwatch.jobs.common.SparkSessions;
import io.streamwatch.jobs.common.StreamingJob;
import io.streamwatch.jobs.visits.VisitsTable;
import io.streamwatch.listeners.ReaderVersionListener;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeoutException;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.DataStreamReader;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.Trigger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The visits consumer: reads the table as a stream (Delta source), prints each micro-batch, and lets the
 * {@link ReaderVersionListener} push the last version it has fully processed and its lag. Reads what is
 * available and stops (availableNow), or keeps running with {@code --continuous}.
 */
@Command(name = "ConsumeVisits", mixinStandardHelpOptions = true,
        description = "Streams the visits table, printing each micro-batch; pushes visits_reader_version and the lag.")
public final class ConsumeVisits implements Callable<Integer> {
    public static final String QUERY_NAME = "visits_consumer";
    private static final Logger LOG = LoggerFactory.getLogger(ConsumeVisits.class);

    @ArgGroup(exclusive = true)
    VisitsTable table = new VisitsTable();

    @Mixin
    PushOptions push = new PushOptions();

    @Option(names = "--checkpoint", defaultValue = "/tmp/streamwatch/checkpoints/visits_consumer",
            description = "Checkpoint folder, any Hadoop path (default: ${DEFAULT-VALUE}).")
    String checkpoint;

    @Option(names = "--continuous", description = "Keep running with a processing-time trigger (default: read what is available, then stop).")
    boolean continuous;

    @Option(names = "--trigger-interval", defaultValue = "10s", converter = DurationConverter.class,
            description = "Processing-time trigger interval with --continuous (default: ${DEFAULT-VALUE}).")
    Duration triggerInterval;

    @Option(names = "--max-files-per-trigger", description = "Delta source maxFilesPerTrigger (default: Delta's, 1000).")
    Integer maxFilesPerTrigger;

    @Option(names = "--query-name", defaultValue = QUERY_NAME, description = "Streaming query name, the 'query' label (default: ${DEFAULT-VALUE}).")
    String queryName;

    @Option(names = "--quiet", description = "Print one line per micro-batch instead of its visits.")
    boolean quiet;

    public static void main(String[] args) {
        Jobs.main(new ConsumeVisits(), args);
    }

    @Override
    public Integer call() throws Exception {
        if (maxFilesPerTrigger != null) {
            BadFlagValue.requirePositive("--max-files-per-trigger", maxFilesPerTrigger);
        }
        SparkSession spark = SparkSessions.getOrCreate("ConsumeVisits");
        table.requireExists(spark);
        StreamingJob.run(spark, push, LOG, List.of(new ReaderVersionListener(push.settings(spark))), () -> {
            StreamingQuery query = startQuery(spark);
            StreamingJob.awaitUntilStopped(query);
            LOG.info("query {} stopped after batch {}", queryName, query.lastProgress() == null ? "none" : query.lastProgress().batchId());
        });
        return 0;
    }

    private StreamingQuery startQuery(SparkSession spark) throws TimeoutException {
        DataStreamReader reader = spark.readStream();
        if (maxFilesPerTrigger != null) {
            reader = reader.option("maxFilesPerTrigger", maxFilesPerTrigger);
        }
        boolean printVisits = !quiet;
        return table.readStream(reader).writeStream()
                .queryName(queryName)
                .option("checkpointLocation", checkpoint)
                .trigger(continuous ? Trigger.ProcessingTime(triggerInterval.toMillis()) : Trigger.AvailableNow())
                .foreachBatch((VoidFunction2<Dataset<Row>, Long>) (visits, batchId) -> printBatch(visits, batchId, printVisits))
                .start();
    }

    private static void printBatch(Dataset<Row> visits, long batchId, boolean printVisits) {
        if (printVisits) {
            System.out.println("micro-batch " + batchId + ":");
            visits.orderBy("visit_id").show(1000, false);
        } else {
            System.out.println("micro-batch " + batchId + ": " + visits.count() + " visits");
        }
    }
}
