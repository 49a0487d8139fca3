package io.streamwatch.jobs.spikes;

import io.streamwatch.cli.BadFlagValue;
import io.streamwatch.jobs.common.DeltaTables;
import io.streamwatch.cli.DurationConverter;
import io.streamwatch.jobs.common.KafkaRecordsOnce;
import io.streamwatch.cli.CommandFailure;
import io.streamwatch.jobs.common.Jobs;
import io.streamwatch.cli.KafkaBrokers;
import io.streamwatch.cli.OptionDefaults;
import io.streamwatch.jobs.common.QueryOptions;
import io.streamwatch.jobs.common.StartingOffsets;
import io.streamwatch.jobs.common.KafkaQuarantine;
import io.streamwatch.jobs.common.PushOptions;
import io.streamwatch.jobs.common.SparkSessions;
import io.streamwatch.jobs.common.StreamingJob;
import io.streamwatch.listeners.BatchDurationListener;
import io.streamwatch.listeners.KafkaLagListener;
import io.streamwatch.listeners.PushGroup;
import io.streamwatch.listeners.QueryHealthListener;
import io.streamwatch.listeners.StreamwatchSettings;
import io.streamwatch.rules.KafkaTopics;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.apache.hadoop.fs.Path;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryListener;
import org.apache.spark.sql.streaming.Trigger;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Alerting on aggregates: deployment events from Kafka land exactly once in the Delta table
 * {@code fct_customer_events} (malformed ones quarantined with the reason); a sliding window as of now counts the
 * deployments per organization and type ({@code dim_deployments}) and keeps the organizations above the threshold
 * ({@code organization_alert}), exported to the Pushgateway as {@code organization_alert{organization, alert_name}}.
 */
@Command(name = "DeploymentSpikes", mixinStandardHelpOptions = true,
        description = "Counts deployments per organization over a sliding window and exports the organizations above the threshold.")
public final class DeploymentSpikes implements Callable<Integer>, OptionDefaults.Declared {
    public static final String QUERY_NAME = "deployment_spikes";
    public static final String JOB = "event_exporter";
    private static final Logger LOG = LoggerFactory.getLogger(DeploymentSpikes.class);

    @Mixin
    KafkaBrokers brokers = new KafkaBrokers();

    @Option(names = "--topic", defaultValue = GenerateDeployments.TOPIC, description = "Topic of the events (default: ${DEFAULT-VALUE}).")
    String topic;

    @Mixin
    QueryOptions query = new QueryOptions();

    @Option(names = "--events-path", defaultValue = "/tmp/streamwatch/fct_customer_events",
            description = "Delta folder of the events; dim_deployments, organization_alert and the quarantine go beside it (default: ${DEFAULT-VALUE}).")
    String eventsPath;

    @Option(names = "--window", defaultValue = "2m", converter = DurationConverter.class, description = "Sliding window (default: ${DEFAULT-VALUE}).")
    Duration window;

    @Option(names = "--threshold", defaultValue = "5", description = "An organization alerts when a deployment type's count in the window is above this (default: ${DEFAULT-VALUE}).")
    long threshold;

    @Option(names = "--evaluate-every", defaultValue = "5s", converter = DurationConverter.class,
            description = "How often the window is evaluated without new events (default: ${DEFAULT-VALUE}).")
    Duration evaluateEvery;

    @Mixin
    StartingOffsets startingOffsets = new StartingOffsets();

    @Mixin
    PushOptions push = new PushOptions();

    public static void main(String[] args) {
        Jobs.main(new DeploymentSpikes(), args);
    }

    @Override
    public OptionDefaults optionDefaults() {
        return OptionDefaults.of("--checkpoint", "/tmp/streamwatch/checkpoints/" + QUERY_NAME, "--trigger-interval", "1s",
                "--query-name", QUERY_NAME, "--starting-offsets", "earliest");
    }

    @Override
    public Integer call() throws Exception {
        checkFlags();
        try {
            KafkaTopics.ensure(brokers.bootstrapServers(), new NewTopic(topic, Optional.of(3), Optional.empty()));
        } catch (IllegalStateException e) {
            throw new CommandFailure(e.getMessage());
        }
        SparkSession spark = SparkSessions.getOrCreate("DeploymentSpikes");
        DeltaTables.createIfMissing(spark, eventsPath, DeploymentEvents.COLUMNS, "'delta.appendOnly' = 'true'");
        KafkaQuarantine.createIfMissing(spark, quarantinePath());
        StreamwatchSettings settings = push.settings(spark).withHeartbeatInterval(query.heartbeatInterval());
        List<StreamingQueryListener> listeners = List.of(new BatchDurationListener(settings),
                new KafkaLagListener(settings.withKafkaBootstrapServersUnlessSet(brokers.bootstrapServers())), new QueryHealthListener(settings));
        PushGroup group = new PushGroup(settings.jobOr(JOB), Map.of("query", query.queryName()));
        StreamingJob.run(spark, push, LOG, listeners, () -> count(spark, group));
        return 0;
    }

    /** Records the events and evaluates the window until the query stops. */
    private void count(SparkSession spark, PushGroup group) throws Exception {
        try (DeploymentWindow deployments = new DeploymentWindow(spark, eventsPath, sibling("dim_deployments"), sibling("organization_alert"),
                window, threshold, push.publisher(spark), group)) {
            deployments.start(evaluateEvery);
            StreamingQuery running = spark.readStream().format("kafka")
                    .option("kafka.bootstrap.servers", brokers.bootstrapServers())
                    .option("subscribe", topic)
                    .option("startingOffsets", startingOffsets.sparkOption())
                    .option("failOnDataLoss", "false")
                    .load().writeStream()
                    .queryName(query.queryName())
                    .option("checkpointLocation", query.checkpoint())
                    .trigger(Trigger.ProcessingTime(query.triggerMillis()))
                    .foreachBatch(new EventWriter(eventsPath, quarantinePath(), deployments))
                    .start();
            LOG.info("counting deployments of {} over {} s windows into {} (alert above {})", topic, window.toSeconds(), eventsPath, threshold);
            StreamingJob.awaitUntilStopped(running);
        }
    }

    private void checkFlags() {
        KafkaTopics.requireLegal("--topic", topic);
        query.requireValid();
        if (window.toSeconds() < 1) {
            throw new BadFlagValue("--window must be at least 1s, was " + window.toMillis() + "ms");
        }
        BadFlagValue.requireNotNegative("--threshold", threshold, String.valueOf(threshold));
        BadFlagValue.requirePositive("--evaluate-every", evaluateEvery.toMillis());
        push.requireValidAddress();
    }

    String quarantinePath() {
        return eventsPath + "_quarantine";
    }

    /** A table beside the events table: {@code /data/fct_customer_events} -> {@code /data/dim_deployments}. */
    String sibling(String name) {
        Path events = new Path(eventsPath);
        return new Path(events.getParent(), name).toString();
    }

    /**
     * Appends a micro-batch's events and quarantined records, each table taking only the records it does not hold
     * yet ({@link KafkaRecordsOnce}), then has the window evaluated.
     */
    record EventWriter(String eventsPath, String quarantinePath, DeploymentWindow deployments) implements VoidFunction2<Dataset<Row>, Long> {
        @Override
        public void call(Dataset<Row> records, Long batchId) {
            long started = System.nanoTime();
            DeploymentEvents events = new DeploymentEvents(records);
            events.checked().persist(StorageLevel.MEMORY_AND_DISK());
            try {
                KafkaRecordsOnce once = KafkaRecordsOnce.of(events.checked(), batchId);
                once.appendTo(quarantinePath, events.quarantined());
                once.appendTo(eventsPath, events.valid());
            } finally {
                events.checked().unpersist();
            }
            deployments.evaluateSoon();
            LOG.info("batch {} written in {} ms", batchId, (System.nanoTime() - started) / 1_000_000);
        }
    }
}
