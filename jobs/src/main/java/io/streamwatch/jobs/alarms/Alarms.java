package io.streamwatch.jobs.alarms;

import io.streamwatch.cli.BadFlagValue;
import io.streamwatch.cli.DurationConverter;
import io.streamwatch.jobs.common.ExactlyOnceAppend;
import io.streamwatch.jobs.common.KafkaRecordsOnce;
import io.streamwatch.cli.CommandFailure;
import io.streamwatch.jobs.common.JobMetric;
import io.streamwatch.jobs.common.GracefulStop;
import io.streamwatch.jobs.common.Jobs;
import io.streamwatch.cli.KafkaBrokers;
import io.streamwatch.cli.OptionDefaults;
import io.streamwatch.jobs.common.QueryOptions;
import io.streamwatch.jobs.common.StartingOffsets;
import io.streamwatch.jobs.common.PushOptions;
import io.streamwatch.jobs.common.SparkSessions;
import io.streamwatch.jobs.common.StreamingJob;
import io.streamwatch.listeners.BatchDurationListener;
import io.streamwatch.listeners.KafkaLagListener;
import io.streamwatch.listeners.MetricSample;
import io.streamwatch.listeners.PushGroup;
import io.streamwatch.listeners.QueryHealthListener;
import io.streamwatch.listeners.StreamwatchSettings;
import io.streamwatch.rules.Alarm;
import io.streamwatch.rules.KafkaTopics;
import io.streamwatch.rules.RuleIndex;
import io.streamwatch.rules.RulesView;
import io.streamwatch.rules.WebhookPrefixes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryListener;
import org.apache.spark.sql.streaming.Trigger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The alarms job: every metric record of the {@code metrics} topic matched against the threshold rules of the
 * compacted {@code rules} topic (loaded whole before the first metric; a change takes effect within a second),
 * each alarm written to the outbox in its batch, delivered from there to its rule's Discord webhook at once, and
 * appended exactly once to the Delta {@code alarms} table a commit later; malformed records quarantined with the
 * reason. Two engines share all but the reading and matching: micro-batches of Spark Structured Streaming matching on
 * the executors (alarms within seconds), or a consumer on the driver matching each poll at once
 * ({@link AlarmConsumer}, alarms within a second). Pushes its alarm and delivery counts, and with the micro-batch
 * engine its batch durations, Kafka lag and health.
 */
@Command(name = "Alarms", mixinStandardHelpOptions = true,
        description = "Matches the metrics topic against the rules topic; appends alarms to Delta and delivers them to Discord.")
public final class Alarms implements Callable<Integer>, OptionDefaults.Declared {
    public static final String QUERY_NAME = "alarms";
    public static final String MICRO_BATCH = "micro-batch";
    public static final String CONSUMER = "consumer";
    /** What a SIGTERM's stop takes besides the delivery grace: the query's stop, a request in flight, the last push. */
    static final Duration STOP_AFTER_DELIVERY = Duration.ofSeconds(30);
    private static final Logger LOG = LoggerFactory.getLogger(Alarms.class);

    @Mixin
    KafkaBrokers brokers = new KafkaBrokers();

    @Option(names = "--metrics-topic", defaultValue = KafkaTopics.METRICS, description = "Topic of the metrics, created with 20 partitions when missing (default: ${DEFAULT-VALUE}).")
    String metricsTopic;

    @Option(names = "--rules-topic", defaultValue = KafkaTopics.RULES, description = "The compacted rules topic (default: ${DEFAULT-VALUE}).")
    String rulesTopic;

    @Mixin
    QueryOptions query = new QueryOptions();

    @Option(names = "--alarms-path", defaultValue = "/tmp/streamwatch/alarms", description = "Delta folder of the alarms (default: ${DEFAULT-VALUE}).")
    String alarmsPath;

    @Option(names = "--quarantine-path", description = "Delta folder of the records that are not metrics (default: the alarms path + _quarantine).")
    String quarantinePath;

    @Option(names = "--allowed-webhook-prefixes", paramLabel = "URL[,URL...]", defaultValue = WebhookPrefixes.DEFAULT,
            description = "Webhooks alarms may be sent to; others are never called (default: Discord's webhook URLs).")
    String allowedWebhookPrefixes;

    @Mixin
    PushOptions push = new PushOptions();

    @Mixin
    StartingOffsets startingOffsets = new StartingOffsets();

    @Option(names = "--max-offsets-per-trigger", defaultValue = "100000", description = "Metric records per micro-batch at most (default: ${DEFAULT-VALUE}).")
    long maxOffsetsPerTrigger;

    @Option(names = "--engine", paramLabel = "consumer|micro-batch", defaultValue = CONSUMER,
            description = "consumer: the driver consumes the metrics and matches each poll at once (alarms within a second); micro-batch: "
                    + "Spark Structured Streaming matches on the executors (scales out; alarms within seconds); same outbox, delivery and "
                    + "table (default: ${DEFAULT-VALUE}).")
    String engine;

    @Option(names = "--delivery-grace", defaultValue = "10s", converter = DurationConverter.class,
            description = "At a stop, how long to go on delivering what is waiting; the rest goes after a restart (default: ${DEFAULT-VALUE}).")
    Duration deliveryGrace;

    @Option(names = "--halt-at", hidden = true, paramLabel = "outbox-written|table-committed",
            description = "Test aid (needs -D" + Jobs.FAULTS_SWITCH + "=true): the job stops for good at this moment of its first batch, to be killed there.")
    String haltAt;

    public static void main(String[] args) {
        Jobs.main(new Alarms(), args);
    }

    /**
     * Stops the alarms job running in this JVM under {@code queryName}, whichever its engine, as a SIGTERM would (for
     * a job run in-process, as the demo runs it); false when none runs.
     */
    public static boolean stopRunning(String queryName) {
        Optional<AlarmConsumer> consumer = AlarmConsumer.running(queryName);
        consumer.ifPresent(AlarmConsumer::stop);
        scala.Option<SparkSession> spark = SparkSession.getDefaultSession();
        Optional<StreamingQuery> query = spark.isDefined() ? SparkSessions.activeQuery(spark.get(), queryName) : Optional.empty();
        query.ifPresent(SparkSessions::stop);
        return consumer.isPresent() || query.isPresent();
    }

    @Override
    public OptionDefaults optionDefaults() {
        return OptionDefaults.of("--checkpoint", "/tmp/streamwatch/checkpoints/" + QUERY_NAME, "--trigger-interval", "0s",
                "--query-name", QUERY_NAME, "--starting-offsets", "latest");
    }

    @Override
    public Integer call() throws Exception {
        WebhookPrefixes allowed = checkFlags();
        GracefulStop.allowAtLeast(deliveryGrace.plus(STOP_AFTER_DELIVERY));
        try {
            KafkaTopics.ensureRules(brokers.bootstrapServers(), rulesTopic);
            KafkaTopics.ensureMetrics(brokers.bootstrapServers(), metricsTopic);
        } catch (IllegalStateException e) {
            throw new CommandFailure(e.getMessage());
        }
        SparkSession spark = SparkSessions.getOrCreate("Alarms");
        AlarmsTable table = new AlarmsTable(alarmsPath, quarantinePath != null ? quarantinePath : alarmsPath + "_quarantine");
        table.createIfMissing(spark);
        StreamwatchSettings settings = push.settings(spark).withHeartbeatInterval(query.heartbeatInterval());
        List<StreamingQueryListener> listeners = List.of(new BatchDurationListener(settings),
                new KafkaLagListener(settings.withKafkaBootstrapServersUnlessSet(brokers.bootstrapServers())), new QueryHealthListener(settings));
        StreamingJob.run(spark, push, LOG, listeners, () -> match(spark, table, settings, allowed));
        return 0;
    }

    /**
     * Loads the rules and records what the outbox still holds, then matches the metrics until the query stops,
     * delivering and recording what it raises.
     */
    private void match(SparkSession spark, AlarmsTable table, StreamwatchSettings settings, WebhookPrefixes allowed) throws Exception {
        try (RulesView rules = RulesView.start(brokers.bootstrapServers(), rulesTopic)) {
            if (!rules.awaitLoaded(Duration.ofSeconds(60))) {
                throw new CommandFailure("the rules topic " + rulesTopic + " could not be read to its end within 60 s");
            }
            AlarmOutbox outbox = new AlarmOutbox(query.checkpoint(), spark.sparkContext().hadoopConfiguration());
            List<AlarmOutbox.Batch> leftovers = outbox.pending();
            Counts counts = new Counts();
            Runnable report = () -> report(spark, settings, rules, counts);
            AlarmTrace trace = AlarmTrace.fromSystemProperty();
            AlarmRecorder recorder = new AlarmRecorder(spark, table, outbox, trace);
            recorder.recordLeftovers(leftovers);
            AlarmDelivery delivery = new AlarmDelivery(outbox, query.checkpoint(), spark.sparkContext().hadoopConfiguration(), rules, allowed, report,
                    trace);
            counts.delivery = delivery;
            counts.recorder = recorder;
            AlarmHandOver handOver = new AlarmHandOver(outbox, delivery, recorder, counts, report, trace);
            try {
                recorder.start();
                if (engine.equals(CONSUMER)) {
                    consume(spark, table, rules, outbox, leftovers, delivery, handOver, counts);
                } else {
                    if (AlarmConsumer.owns(query.checkpoint(), spark.sparkContext().hadoopConfiguration())) {
                        throw new CommandFailure("the checkpoint " + query.checkpoint() + " is the consumer engine's; the micro-batch engine needs a checkpoint of its own");
                    }
                    if (trace.isOn()) {
                        spark.streams().addListener(traceProgress(trace));
                    }
                    StreamingQuery running = startQuery(spark, new BatchMatcher(table, outbox, rules, handOver));
                    delivery.resume(running.id().toString(), leftovers);
                    LOG.info("matching {} against {} rules of {}; alarms into {}", metricsTopic, rules.rules().size(), rulesTopic, alarmsPath);
                    StreamingJob.awaitUntilStopped(running);
                }
            } finally {
                delivery.close(deliveryGrace);
                recorder.close();
                report.run();
            }
        }
    }

    /** The consumer engine: reads and matches on this driver until a stop, with the same outbox, delivery and recorder. */
    private void consume(SparkSession spark, AlarmsTable table, RulesView rules, AlarmOutbox outbox, List<AlarmOutbox.Batch> leftovers,
                         AlarmDelivery delivery, AlarmHandOver handOver, Counts counts) throws Exception {
        try (AlarmConsumer consumer = AlarmConsumer.open(query.queryName(), brokers.bootstrapServers(), metricsTopic, startingOffsets.position(),
                query.checkpoint(), spark.sparkContext().hadoopConfiguration(), outbox)) {
            delivery.resume(consumer.queryId(), leftovers);
            // The outbox's leftovers are recorded: the table holds every record that raised something, and the rules' states.
            KafkaRecordsOnce.Held held = KafkaRecordsOnce.heldBy(spark, table.path());
            Map<String, AlarmsTable.RuleState> states = new HashMap<>(table.ruleStates(spark));
            long lastBatch = table.lastBatchWritten(spark, ExactlyOnceAppend.forQuery(consumer.queryId(), 0).appId());
            LOG.info("matching {} against {} rules of {}; alarms into {} (consumer engine)", metricsTopic, rules.rules().size(), rulesTopic,
                    alarmsPath);
            counts.consumer = consumer;
            try (AutoCloseable onSigterm = GracefulStop.whenRequested(consumer::stop)) {
                consumer.run(rules, held, states, lastBatch, handOver);
            }
            counts.consumer = null; // stopped on purpose: its liveness series go with the last push (a crash leaves them)
        }
    }

    /** Spark's own timings of each trigger, into the trace. */
    private static StreamingQueryListener traceProgress(AlarmTrace trace) {
        return new StreamingQueryListener() {
            @Override
            public void onQueryStarted(QueryStartedEvent event) {
            }

            @Override
            public void onQueryProgress(QueryProgressEvent event) {
                trace.progress(event.progress().batchId(), event.progress().durationMs());
            }

            @Override
            public void onQueryTerminated(QueryTerminatedEvent event) {
            }
        };
    }

    private WebhookPrefixes checkFlags() {
        KafkaTopics.requireLegal("--metrics-topic", metricsTopic);
        KafkaTopics.requireLegal("--rules-topic", rulesTopic);
        query.requireValid();
        BadFlagValue.requirePositive("--max-offsets-per-trigger", maxOffsetsPerTrigger);
        if (!engine.equals(MICRO_BATCH) && !engine.equals(CONSUMER)) {
            throw new BadFlagValue("--engine: micro-batch or consumer, not " + engine);
        }
        if (haltAt != null) {
            if (!Boolean.getBoolean(Jobs.FAULTS_SWITCH)) {
                throw new BadFlagValue("--halt-at injects a fault for tests: it needs -D" + Jobs.FAULTS_SWITCH + "=true");
            }
            AlarmHalt.choose(java.util.Arrays.stream(AlarmHalt.values()).filter(h -> h.flagValue().equals(haltAt)).findFirst()
                    .orElseThrow(() -> new BadFlagValue("--halt-at: outbox-written or table-committed, not " + haltAt)));
        }
        push.requireValidAddress();
        try {
            return WebhookPrefixes.parse(allowedWebhookPrefixes);
        } catch (IllegalArgumentException e) {
            throw new BadFlagValue("--allowed-webhook-prefixes: " + e.getMessage());
        }
    }

    private StreamingQuery startQuery(SparkSession spark, BatchMatcher matcher) throws TimeoutException {
        Dataset<Row> records = spark.readStream().format("kafka")
                .option("kafka.bootstrap.servers", brokers.bootstrapServers())
                .option("subscribe", metricsTopic)
                .option("startingOffsets", startingOffsets.sparkOption())
                .option("maxOffsetsPerTrigger", maxOffsetsPerTrigger)
                .option("failOnDataLoss", "false")
                .load();
        return records.writeStream()
                .queryName(query.queryName())
                .option("checkpointLocation", query.checkpoint())
                .trigger(Trigger.ProcessingTime(query.triggerMillis()))
                .foreachBatch(matcher)
                .start();
    }

    /** What the job counted since it started. */
    static final class Counts {
        final Map<String, AtomicLong> alarms = new ConcurrentHashMap<>();
        final AtomicLong quarantined = new AtomicLong();
        volatile AlarmDelivery delivery;
        volatile AlarmRecorder recorder;
        /** The running consumer engine; null with the micro-batch engine and after a graceful stop (its series go). */
        volatile AlarmConsumer consumer;
    }

    private void report(SparkSession spark, StreamwatchSettings settings, RulesView rules, Counts counts) {
        push.publisher(spark).ifPresent(publisher -> publisher.publish(
                new PushGroup(settings.jobOr(settings.naming().queryJob()), Map.of("query", query.queryName())), "alarms", () -> {
                    List<MetricSample> samples = new ArrayList<>();
                    samples.add(JobMetric.ALARM_RULES.sample(rules.rules().size()));
                    for (Alarm.State state : Alarm.State.values()) {
                        samples.add(JobMetric.ALARMS.sample(counts.alarms.getOrDefault(state.label(), new AtomicLong()).get(), state.label()));
                    }
                    samples.add(JobMetric.ALARM_RECORDS_QUARANTINED.sample(counts.quarantined.get()));
                    AlarmDelivery delivery = counts.delivery;
                    if (delivery != null) {
                        delivery.outcomes().forEach((outcome, count) -> samples.add(JobMetric.ALARM_DELIVERIES.sample(count, outcome)));
                        samples.add(JobMetric.ALARM_DELIVERY_RATE_LIMITED.sample(delivery.rateLimited()));
                        samples.add(JobMetric.ALARM_DELIVERY_RETRIES.sample(delivery.retried()));
                        samples.add(JobMetric.ALARM_WEBHOOKS_GONE.sample(delivery.goneWebhooks()));
                        samples.add(JobMetric.ALARM_DELIVERY_ERRORS.sample(delivery.errors()));
                        samples.add(JobMetric.ALARM_DELIVERY_FAILING.sample(delivery.failing() ? 1 : 0));
                        samples.add(JobMetric.ALARM_DELIVERY_WAITING.sample(delivery.waiting()));
                        samples.add(JobMetric.ALARM_DELIVERY_LONGEST_LANE.sample(delivery.longestLane()));
                    }
                    AlarmConsumer consumer = counts.consumer;
                    if (consumer != null && consumer.lastPollMillis() > 0) {
                        samples.add(JobMetric.ALARM_CONSUMER_LAG.sample(consumer.lag()));
                        samples.add(JobMetric.ALARM_CONSUMER_LAST_POLL.sample(consumer.lastPollMillis() / 1000.0));
                    }
                    AlarmRecorder recorder = counts.recorder;
                    if (recorder != null) {
                        samples.add(JobMetric.ALARM_BATCHES_UNRECORDED.sample(recorder.unrecorded()));
                        samples.add(JobMetric.ALARM_RECORDING_ERRORS.sample(recorder.errors()));
                        samples.add(JobMetric.ALARM_RECORDING_FAILING.sample(recorder.failing() ? 1 : 0));
                    }
                    return samples;
                }));
    }

    /**
     * One micro-batch: a batch re-run after a crash takes its alarms from the outbox (or is skipped when the table
     * holds it); otherwise its records that the alarms table did not hold when the run began (a reset checkpoint reads
     * some again) are matched against the rules as they are now, the quarantine appended once per record, the alarms
     * written to the outbox and handed to delivery and to the recorder, and the rules' states advanced. The Delta
     * commit of the alarms is not on this path: they reach the table a commit later, seconds after delivery.
     */
    static final class BatchMatcher implements VoidFunction2<Dataset<Row>, Long> {
        private final AlarmsTable table;
        private final AlarmOutbox outbox;
        private final RulesView rules;
        private final AlarmHandOver handOver;
        private Map<String, AlarmsTable.RuleState> states;
        private KafkaRecordsOnce.Held heldAtStart;
        private RuleIndex broadcastIndex;
        private Broadcast<RuleIndex> broadcastRules;

        BatchMatcher(AlarmsTable table, AlarmOutbox outbox, RulesView rules, AlarmHandOver handOver) {
            this.table = table;
            this.outbox = outbox;
            this.rules = rules;
            this.handOver = handOver;
        }

        @Override
        public void call(Dataset<Row> records, Long batchId) {
            SparkSession spark = records.sparkSession();
            ExactlyOnceAppend append = ExactlyOnceAppend.of(spark, batchId);
            if (states == null) {
                // Only a run's first batch can be one an earlier run ran before it was stopped or killed.
                if (outbox.read(batchId).isPresent() || table.lastBatchWritten(spark, append.appId()) >= batchId) {
                    LOG.info("batch {} is already in the outbox or the alarms table; skipped", batchId);
                    return;
                }
                states = new HashMap<>(table.ruleStates(spark));
                heldAtStart = KafkaRecordsOnce.heldBy(spark, table.path());
            }
            long started = System.nanoTime();
            long beganMillis = System.currentTimeMillis();
            rules.requireRunning(); // a frozen rule set fails the query, never matches on silently
            RuleIndex index = rules.index();
            JavaSparkContext context = JavaSparkContext.fromSparkContext(spark.sparkContext());
            if (index != broadcastIndex) {
                if (broadcastRules != null) {
                    broadcastRules.destroy();
                }
                broadcastRules = context.broadcast(index);
                broadcastIndex = index;
            }
            Broadcast<Map<String, AlarmsTable.RuleState>> broadcastStates = index.hasStatefulRules() ? context.broadcast(Map.copyOf(states)) : null;
            try (AlarmMatching matching = new AlarmMatching(heldAtStart.notIn(records), spark.sparkContext().defaultParallelism(),
                    broadcastRules, broadcastStates)) {
                AlarmMatching.Result matched = matching.collect(index.hasStatefulRules());
                long matchedAt = System.nanoTime();
                long matchedMillis = System.currentTimeMillis();
                if (matched.quarantined() > 0) {
                    KafkaRecordsOnce.of(spark, append.queryId(), batchId, matched.ranges()).appendTo(table.quarantinePath(), matching.quarantine());
                }
                List<Alarm> alarms = matched.alarms();
                handOver.handOver(new AlarmOutbox.Batch(append.queryId(), batchId, matched.ranges(), alarms), matched.quarantined(), beganMillis,
                        matchedMillis);
                for (Alarm alarm : alarms) {
                    states.put(alarm.ruleId(), states.getOrDefault(alarm.ruleId(), AlarmsTable.RuleState.NONE).after(alarm));
                }
                LOG.debug("batch {}: {} alarm(s), {} record(s) quarantined, {} rules; matched in {} ms, handed over in {} ms", batchId,
                        alarms.size(), matched.quarantined(), index.size(), (matchedAt - started) / 1_000_000,
                        (System.nanoTime() - matchedAt) / 1_000_000);
            } finally {
                if (broadcastStates != null) {
                    broadcastStates.destroy();
                }
            }
        }
    }
}
