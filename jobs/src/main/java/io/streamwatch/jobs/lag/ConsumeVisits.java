package io.streamwatch.jobs.lag;

import io.streamwatch.cli.BadFlagValue;
import io.streamwatch.cli.OptionDefaults;
import io.streamwatch.jobs.common.Jobs;
import io.streamwatch.jobs.common.QueryOptions;
import io.streamwatch.jobs.common.PushOptions;
import io.streamwatch.jobs.common.SparkSessions;
import io.streamwatch.jobs.common.StreamingJob;
import io.streamwatch.jobs.visits.VisitsTable;
import io.streamwatch.listeners.MetricNaming;
import io.streamwatch.listeners.ReaderVersionListener;
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
public final class ConsumeVisits implements Callable<Integer>, OptionDefaults.Declared {
    public static final String QUERY_NAME = "visits_consumer";
    private static final Logger LOG = LoggerFactory.getLogger(ConsumeVisits.class);

    @ArgGroup(exclusive = true)
    VisitsTable table = new VisitsTable();

    @Mixin
    PushOptions push = new PushOptions().withDefaultNaming(MetricNaming.VISITS);

    @Mixin
    QueryOptions query = new QueryOptions();

    @Option(names = "--continuous", description = "Keep running with a processing-time trigger (default: read what is available, then stop).")
    boolean continuous;

    @Option(names = "--max-files-per-trigger", description = "Delta source maxFilesPerTrigger (default: Delta's, 1000).")
    Integer maxFilesPerTrigger;

    @Option(names = "--quiet", description = "Print one line per micro-batch instead of its visits.")
    boolean quiet;

    public static void main(String[] args) {
        Jobs.main(new ConsumeVisits(), args);
    }

    @Override
    public OptionDefaults optionDefaults() {
        return OptionDefaults.of("--checkpoint", "/tmp/streamwatch/checkpoints/" + QUERY_NAME, "--trigger-interval", "10s",
                "--query-name", QUERY_NAME);
    }

    @Override
    public Integer call() throws Exception {
        query.requireValid();
        if (maxFilesPerTrigger != null) {
            BadFlagValue.requirePositive("--max-files-per-trigger", maxFilesPerTrigger);
        }
        SparkSession spark = SparkSessions.getOrCreate("ConsumeVisits");
        table.requireExists(spark);
        StreamingJob.run(spark, push, LOG, List.of(new ReaderVersionListener(push.settings(spark).withHeartbeatInterval(query.heartbeatInterval()))), () -> {
            StreamingQuery running = startQuery(spark);
            StreamingJob.awaitUntilStopped(running);
            LOG.info("query {} stopped after batch {}", query.queryName(), running.lastProgress() == null ? "none" : running.lastProgress().batchId());
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
                .queryName(query.queryName())
                .option("checkpointLocation", query.checkpoint())
                .trigger(continuous ? Trigger.ProcessingTime(query.triggerMillis()) : Trigger.AvailableNow())
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
