package io.streamwatch.jobs.sla;

import io.streamwatch.cli.BadFlagValue;
import io.streamwatch.cli.DurationConverter;
import io.streamwatch.jobs.common.KafkaRecordsOnce;
import io.streamwatch.jobs.common.Jobs;
import io.streamwatch.cli.OptionDefaults;
import io.streamwatch.jobs.common.QueryOptions;
import io.streamwatch.jobs.common.StartingOffsets;
import io.streamwatch.jobs.visits.VisitsTopic;
import io.streamwatch.jobs.common.PushOptions;
import io.streamwatch.jobs.common.SparkSessions;
import io.streamwatch.jobs.common.StreamingJob;
import io.streamwatch.jobs.visits.CreateVisitsTable;
import io.streamwatch.jobs.visits.VisitsSchema;
import io.streamwatch.jobs.visits.VisitsTable;
import io.streamwatch.listeners.MetricNaming;
import io.streamwatch.listeners.BatchDurationListener;
import io.streamwatch.listeners.KafkaLagListener;
import io.streamwatch.listeners.QueryHealthListener;
import io.streamwatch.listeners.StreamwatchSettings;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeoutException;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryListener;
import org.apache.spark.sql.streaming.Trigger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The visits synchronizer: Kafka into the nested Delta visits table, exactly once per Kafka record across restarts,
 * kills, checkpoint resets and concurrent synchronizers (each table records the Kafka offsets it holds:
 * {@link KafkaRecordsOnce}), malformed records into a quarantine
 * table with the reason. Its listeners push each batch's duration (the SLA), the Kafka backlog per partition,
 * and a heartbeat that sees hanging batches and failed queries.
 */
@Command(name = "SyncVisitsToDelta", mixinStandardHelpOptions = true,
        description = "Synchronizes the visits topic into a Delta table; pushes batch durations, Kafka lag and query health.")
public final class SyncVisitsToDelta implements Callable<Integer>, OptionDefaults.Declared {
    public static final String QUERY_NAME = "visits_to_delta_synchronizer";
    public static final String DEFAULT_PATH = "/tmp/streamwatch/synced_visits";
    private static final Logger LOG = LoggerFactory.getLogger(SyncVisitsToDelta.class);

    @Mixin
    VisitsTopic kafka = new VisitsTopic();

    @ArgGroup(exclusive = true)
    VisitsTable table = VisitsTable.withDefaultPath(DEFAULT_PATH);

    @Option(names = "--quarantine-path", description = "Delta folder of the quarantined records (default: the table's path + _quarantine).")
    String quarantinePath;

    @Mixin
    PushOptions push = new PushOptions().withDefaultNaming(MetricNaming.VISITS);

    @Mixin
    QueryOptions query = new QueryOptions();

    @Option(names = "--available-now", description = "Process what the topic holds, then stop (default: run until stopped).")
    boolean availableNow;

    @Option(names = "--max-offsets-per-trigger", defaultValue = "50", description = "Kafka records per micro-batch at most (default: ${DEFAULT-VALUE}).")
    long maxOffsetsPerTrigger;

    @Mixin
    StartingOffsets startingOffsets = new StartingOffsets();

    @Option(names = "--batch-delay", defaultValue = "0s", converter = DurationConverter.class,
            description = "Artificial latency added to every micro-batch, a sleep that makes SLA misses (default: ${DEFAULT-VALUE}).")
    Duration batchDelay;

    @Option(names = "--no-listeners", description = "Attach no streamwatch listener (to compare throughput).")
    boolean noListeners;

    /** The JVM switch the fault-injection flags need ({@link Jobs#FAULTS_SWITCH}). */
    public static final String FAULTS_SWITCH = Jobs.FAULTS_SWITCH;

    @Option(names = "--delay-from-batch", hidden = true, defaultValue = "0",
            description = "Test aid (needs -D" + FAULTS_SWITCH + "=true): the --batch-delay applies from this micro-batch on.")
    long delayFromBatch;

    @Option(names = "--fail-in-batch", hidden = true,
            description = "Test aid (needs -D" + FAULTS_SWITCH + "=true): throw in this micro-batch, after the visits are written.")
    Long failInBatch;

    public static void main(String[] args) {
        Jobs.main(new SyncVisitsToDelta(), args);
    }

    @Override
    public OptionDefaults optionDefaults() {
        return OptionDefaults.of("--checkpoint", "/tmp/streamwatch/checkpoints/" + QUERY_NAME, "--trigger-interval", "15s",
                "--query-name", QUERY_NAME, "--starting-offsets", "earliest");
    }

    @Override
    public Integer call() throws Exception {
        BadFlagValue.requireNotNegative("--batch-delay", batchDelay.toMillis(), batchDelay.toMillis() + "ms");
        BadFlagValue.requirePositive("--max-offsets-per-trigger", maxOffsetsPerTrigger);
        if ((failInBatch != null || delayFromBatch != 0) && !Boolean.getBoolean(FAULTS_SWITCH)) {
            throw new BadFlagValue("--fail-in-batch and --delay-from-batch inject faults for tests: they need -D" + FAULTS_SWITCH + "=true");
        }
        query.requireValid();
        kafka.requireExists();
        SparkSession spark = SparkSessions.getOrCreate("SyncVisitsToDelta");
        VisitsTable quarantine = quarantinePath != null ? VisitsTable.atPath(quarantinePath) : table.quarantine();
        CreateVisitsTable.createIfMissing(spark, table, VisitsSchema.nested.columns());
        CreateVisitsTable.createIfMissing(spark, quarantine, VisitsSchema.QUARANTINE_COLUMNS);
        StreamwatchSettings settings = push.settings(spark).withHeartbeatInterval(query.heartbeatInterval());
        List<StreamingQueryListener> listeners = noListeners ? List.of() : List.of(new BatchDurationListener(settings),
                new KafkaLagListener(settings.withKafkaBootstrapServersUnlessSet(kafka.bootstrapServers())), new QueryHealthListener(settings));
        StreamingJob.run(spark, push, LOG, listeners, () -> {
            StreamingQuery running = startQuery(spark, quarantine);
            LOG.info("synchronizing {} into {} (quarantine: {})", kafka.topic(), table.describe(), quarantine.describe());
            StreamingJob.awaitUntilStopped(running);
            LOG.info("query {} stopped after batch {}", query.queryName(), running.lastProgress() == null ? "none" : running.lastProgress().batchId());
        });
        return 0;
    }

    private StreamingQuery startQuery(SparkSession spark, VisitsTable quarantine) throws TimeoutException {
        Dataset<Row> records = spark.readStream().format("kafka")
                .option("kafka.bootstrap.servers", kafka.bootstrapServers())
                .option("subscribe", kafka.topic())
                .option("startingOffsets", startingOffsets.sparkOption())
                .option("maxOffsetsPerTrigger", maxOffsetsPerTrigger)
                .option("failOnDataLoss", "true")
                .load();
        BatchWriter writer = new BatchWriter(table.location(spark), quarantine.location(spark), batchDelay.toMillis(), delayFromBatch, failInBatch);
        return records.writeStream()
                .queryName(query.queryName())
                .option("checkpointLocation", query.checkpoint())
                .trigger(availableNow ? Trigger.AvailableNow() : Trigger.ProcessingTime(query.triggerMillis()))
                .foreachBatch(writer)
                .start();
    }

    /**
     * Writes one micro-batch: the valid visits, then the quarantined records, each table taking only the records
     * it does not hold yet ({@link KafkaRecordsOnce}: a re-run batch, a reset checkpoint or a second synchronizer
     * writes nothing twice); a side with nothing new is not committed (a Delta commit costs more than the rest of
     * a small batch).
     */
    public record BatchWriter(String visitsPath, String quarantinePath, long delayMillis, long delayFromBatch, Long failInBatch)
            implements VoidFunction2<Dataset<Row>, Long> {
        @Override
        public void call(Dataset<Row> records, Long batchId) throws Exception {
            if (delayMillis > 0 && batchId >= delayFromBatch) {
                Thread.sleep(delayMillis);
            }
            VisitsValidation validation = new VisitsValidation(records);
            validation.checked().persist();
            try {
                KafkaRecordsOnce once = KafkaRecordsOnce.of(validation.checked(), batchId);
                once.appendTo(visitsPath, validation.validVisits());
                if (failInBatch != null && failInBatch.longValue() == batchId) {
                    throw new IllegalStateException("failure injected in micro-batch " + batchId + " (--fail-in-batch)");
                }
                once.appendTo(quarantinePath, validation.quarantined());
            } finally {
                validation.checked().unpersist();
            }
        }
    }
}
