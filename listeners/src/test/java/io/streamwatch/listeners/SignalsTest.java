package io.streamwatch.listeners;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamwatch.testkit.DashboardPanels;
import io.streamwatch.testkit.EmbeddedKafka;
import io.streamwatch.testkit.LocalPrometheus;
import io.streamwatch.testkit.LocalPushgateway;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.streaming.SourceProgress;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryListener;
import org.apache.spark.sql.streaming.Trigger;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The signals a demanding operator wants, on real queries of no demo: the Delta backlog held behind a writer, a query
 * falling behind and catching up, event time with late rows, Kafka lag in records and seconds, and Spark's Kafka offsets
 * in a consumer group; last, the panels of the dashboard for any pipeline, whose queries must all return data from what
 * the tests pushed.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SignalsTest {
    static SparkSession spark;
    static LocalPushgateway pushgateway;
    static LocalPrometheus prometheus;
    static long classStartMillis;
    /** One broker for the class's Kafka tests (started by the first). */
    static EmbeddedKafka kafka;
    static final Map<String, CountDownLatch> GATES = new java.util.concurrent.ConcurrentHashMap<>();
    static final java.util.concurrent.atomic.AtomicLong BATCH_DELAY_MILLIS = new java.util.concurrent.atomic.AtomicLong();

    @TempDir
    static Path classDir;

    @TempDir
    Path dir;

    private final QueryCleanups cleanups = new QueryCleanups();

    @BeforeAll
    static void start() {
        classStartMillis = System.currentTimeMillis();
        pushgateway = LocalPushgateway.start(classDir.resolve("pushgateway"));
        prometheus = LocalPrometheus.scraping(pushgateway.address(), classDir.resolve("prometheus"));
        spark = LocalSparkSessions.withDelta("signals").getOrCreate();
        // The panels are checked against what Prometheus scraped while the tests ran: scraping must have begun.
        await().atMost(Duration.ofSeconds(60)).until(prometheus::targetsUp);
    }

    @AfterAll
    static void stop() {
        spark.stop();
        prometheus.close();
        pushgateway.close();
        if (kafka != null) {
            kafka.close();
        }
    }

    static EmbeddedKafka kafka() {
        if (kafka == null) {
            kafka = EmbeddedKafka.start(classDir.resolve("kafka"));
        }
        return kafka;
    }

    @AfterEach
    void cleanUp() {
        GATES.values().forEach(CountDownLatch::countDown);
        cleanups.run();
    }

    /** The bounds every query of these tests is held to (the dashboard's SLA, first-batch and lag lines). */
    static final QueryBounds BOUNDS = QueryBounds.from(Map.of(StreamwatchSettings.SLA, "30s", StreamwatchSettings.FIRST_BATCH, "2min",
            StreamwatchSettings.MAX_LAG, "10min"), (key, why) -> {
                throw new IllegalArgumentException(key + " " + why);
            });

    private StreamwatchSettings settings() {
        return StreamwatchSettings.of(pushgateway.address()).withHeartbeatInterval(Duration.ofMillis(500)).withBounds(BOUNDS);
    }

    private <T extends StreamingQueryListener> T attach(T listener) {
        return cleanups.attach(spark, listener);
    }

    private StreamingQuery started(StreamingQuery query) {
        return cleanups.stopAfter(query);
    }

    private static OptionalDouble value(String metric, Map<String, String> labels) {
        return pushgateway.value(metric, labels);
    }

    @Test
    void theDeltaBacklogOfAStreamHeldBehindAWriterMatchesTheLog() throws Exception {
        String table = dir.resolve("held").toString();
        spark.range(3).write().format("delta").mode("append").save(table);
        attach(new ReaderVersionListener(settings()));
        attach(new BatchDurationListener(settings()));
        attach(new QueryHealthListener(settings()));
        GATES.put("held", new CountDownLatch(1));
        StreamingQuery query = started(spark.readStream().format("delta").load(table).writeStream().queryName("held")
                .option("checkpointLocation", dir.resolve("checkpoint-held").toString())
                .trigger(Trigger.ProcessingTime(200))
                .foreachBatch((VoidFunction2<Dataset<Row>, Long>) (rows, batchId) -> {
                    if (batchId == 1) {
                        GATES.get("held").await(2, TimeUnit.MINUTES);
                    }
                }).start());
        await().atMost(Duration.ofSeconds(60)).until(() -> query.lastProgress() != null && query.lastProgress().batchId() == 0);
        for (int commit = 0; commit < 3; commit++) {
            spark.range(0, 10 + commit, 1, 2).write().format("delta").mode("append").save(table);
        }
        // What the log says versions 1 to 3 added.
        Dataset<Row> adds = spark.read().json(List.of(1, 2, 3).stream()
                .map(v -> String.format("%s/_delta_log/%020d.json", table, v)).toArray(String[]::new)).where("add IS NOT NULL");
        long files = adds.count();
        long bytes = adds.agg(functions.sum("add.size")).first().getLong(0);
        long records = adds.select(functions.get_json_object(functions.col("add.stats"), "$.numRecords").cast("long").as("n"))
                .agg(functions.sum("n")).first().getLong(0);
        assertEquals(10 + 11 + 12, records);
        String location = DeltaSourceProgress.of(query.lastProgress().sources()[0]).orElseThrow().tableLocation();
        Map<String, String> labels = Map.of("query", "held", "table", location);
        await().atMost(Duration.ofSeconds(30)).until(() -> value(ReaderVersionListener.BACKLOG_FILES, labels).orElse(-1) == files);
        assertEquals(bytes, value(ReaderVersionListener.BACKLOG_BYTES, labels).getAsDouble());
        assertEquals(records, value(ReaderVersionListener.BACKLOG_RECORDS, labels).getAsDouble());
        // Batch 0's duration stays pushed while batch 1 is held: Prometheus scrapes it for the dashboard's panel.
        await().atMost(Duration.ofSeconds(30)).until(() -> !prometheus.query(MetricNaming.STREAMWATCH.batchDurationSeconds() + "{query=\"held\"}").isEmpty()
                && !prometheus.query(BatchDurationListener.LAST_BATCH_SECONDS + "{query=\"held\"}").isEmpty());

        GATES.get("held").countDown();
        await().atMost(Duration.ofSeconds(30)).until(() -> value(ReaderVersionListener.BACKLOG_FILES, labels).orElse(-1) == 0);
        assertEquals(0, value(ReaderVersionListener.BACKLOG_RECORDS, labels).getAsDouble());
    }

    /**
     * A writer with pauses and bursts outpacing the query: once FALLING_BEHIND, every sample says so while the backlog
     * grows (a pause's dip neither flips it nor would restart the rule's {@code for}); once the writer stops, OK within
     * a window (20 s) after the backlog is gone, and OK from then on.
     */
    @Test
    void aQueryOutpacedByAJitteryWriterReadsFallingBehindInEverySampleThenOk() throws Exception {
        String table = dir.resolve("outpaced").toString();
        spark.range(1).write().format("delta").mode("append").save(table);
        attach(new QueryStatusListener(settings(), Duration.ofSeconds(20), 5, Duration.ofSeconds(60)));
        BATCH_DELAY_MILLIS.set(1500);
        started(spark.readStream().format("delta").option("maxFilesPerTrigger", 1).load(table).writeStream().queryName("outpaced")
                .option("checkpointLocation", dir.resolve("checkpoint-outpaced").toString())
                .trigger(Trigger.ProcessingTime(0))
                .foreachBatch((VoidFunction2<Dataset<Row>, Long>) (rows, batchId) -> {
                    rows.count(); // Spark counts the input rows a batch actually reads
                    Thread.sleep(BATCH_DELAY_MILLIS.get());
                }).start());
        AtomicBoolean writing = new AtomicBoolean(true);
        java.util.Random jitter = new java.util.Random(11);
        Thread writer = new Thread(() -> {
            while (writing.get()) {
                int burst = 1 + jitter.nextInt(4);
                for (int i = 0; i < burst && writing.get(); i++) {
                    spark.range(0, 5, 1, 1).write().format("delta").mode("append").save(table);
                }
                try {
                    Thread.sleep(jitter.nextInt(3) == 0 ? 2_500 : 0); // the workload: a writer that pauses now and then
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        writer.start();
        cleanups.add(() -> writing.set(false));
        List<String> samples = new ArrayList<>();
        Map<String, String> query = Map.of("query", "outpaced");
        try {
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250)).until(() -> {
                samples.add(status(query));
                return samples.contains("FALLING_BEHIND");
            });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("statuses seen: " + samples + "; pushed: " + pushgateway.metrics().samples().stream()
                    .filter(sample -> sample.name().startsWith("streamwatch_source") || sample.name().equals(QueryStatusListener.STATUS)).toList(), e);
        }
        int firstFalling = samples.size() - 1;
        long held = System.nanoTime();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).until(() -> {
            samples.add(status(query));
            return System.nanoTime() - held > TimeUnit.SECONDS.toNanos(25);
        });
        assertEquals(List.of("FALLING_BEHIND"), samples.subList(firstFalling, samples.size()).stream().distinct().toList(),
                "held in every sample while the jittery writer outpaces the query: " + samples.subList(firstFalling, samples.size()));
        assertEquals(Double.POSITIVE_INFINITY, value(QueryStatusListener.CATCH_UP, query).orElse(0),
                "arrivals outpace processing: never caught up at these rates");

        writing.set(false);
        writer.join(30_000);
        BATCH_DELAY_MILLIS.set(0);
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250)).until(() -> {
            samples.add(status(query));
            return value(QueryStatusListener.BACKLOG, query).orElse(1) == 0;
        });
        long caughtUp = System.nanoTime();
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(250)).until(() -> "OK".equals(status(query)));
        assertTrue(System.nanoTime() - caughtUp <= TimeUnit.SECONDS.toNanos(20), "OK within one window of catching up");
        await().during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(8)).pollInterval(Duration.ofMillis(250))
                .until(() -> "OK".equals(status(query)));
    }

    private static String status(Map<String, String> query) {
        for (QueryStatus.Status status : QueryStatus.Status.values()) {
            Map<String, String> labels = new HashMap<>(query);
            labels.put("status", status.name());
            if (value(QueryStatusListener.STATUS, labels).orElse(0) == 1) {
                return status.name();
            }
        }
        return null;
    }

    @Test
    void aWatermarkQueryReportsEventTimeLateRowsAndState() throws Exception {
        String table = dir.resolve("events").toString();
        StructType schema = new StructType().add("id", DataTypes.LongType).add("ts", DataTypes.TimestampType);
        long base = System.currentTimeMillis() - 300_000;
        write(table, schema, base, base + 60_000);
        attach(new EventTimeListener(settings()));
        spark.conf().set("spark.sql.streaming.noDataProgressEventInterval", "1s");
        StreamingQuery query = started(spark.readStream().format("delta").load(table)
                .withWatermark("ts", "10 seconds").groupBy(functions.window(functions.col("ts"), "5 seconds")).count()
                .writeStream().queryName("windowed").outputMode("append").format("noop")
                .option("checkpointLocation", dir.resolve("checkpoint-windowed").toString())
                .trigger(Trigger.ProcessingTime(200)).start());
        await().atMost(Duration.ofSeconds(60)).until(() -> query.lastProgress() != null && query.lastProgress().batchId() >= 1);
        write(table, schema, base + 1_000);
        Map<String, String> labels = Map.of("query", "windowed");
        await().atMost(Duration.ofSeconds(60)).until(() -> value(EventTimeListener.LATE_ROWS, labels).orElse(0) == 1);
        double lag = value(EventTimeListener.EVENT_TIME_LAG, labels).getAsDouble();
        assertTrue(lag >= 240 && lag < 300, "now minus the newest event (4 minutes old): " + lag);
        assertEquals(10, value(EventTimeListener.WATERMARK_GAP, labels).getAsDouble(), 0.001);
        Map<String, String> state = new HashMap<>(labels);
        state.put("operator", "0:stateStoreSave");
        assertTrue(value(EventTimeListener.STATE_ROWS, state).orElse(0) >= 1, pushgateway.metrics().samples().toString());
        assertTrue(value(EventTimeListener.STATE_MEMORY, state).orElse(0) > 0);

        await().atMost(Duration.ofSeconds(30)).until(() -> value(EventTimeListener.EVENT_TIME_LAG, labels).getAsDouble() >= lag + 2);
        assertEquals(10, value(EventTimeListener.WATERMARK_GAP, labels).getAsDouble(), 0.001, "idle: the same events, an older lag");
        spark.conf().unset("spark.sql.streaming.noDataProgressEventInterval");
    }

    private static void write(String table, StructType schema, long... eventMillis) {
        List<Row> rows = new ArrayList<>();
        for (long millis : eventMillis) {
            rows.add(RowFactory.create(millis, new Timestamp(millis)));
        }
        spark.createDataFrame(rows, schema).coalesce(1).write().format("delta").mode("append").save(table);
    }

    @Test
    void twoKafkaSourcesOfOneQueryCommitTheirProcessedOffsetsToAConsumerGroup() throws Exception {
        {
            EmbeddedKafka kafka = kafka();
            kafka.createTopic("orders", 2);
            kafka.createTopic("payments", 3);
            kafka.send("orders", java.util.Collections.nCopies(7, "o"));
            kafka.send("payments", java.util.Collections.nCopies(11, "p"));
            attach(new KafkaOffsetCommitListener("spark-{query}", kafka.bootstrapServers()));
            Dataset<Row> orders = spark.readStream().format("kafka").option("kafka.bootstrap.servers", kafka.bootstrapServers())
                    .option("subscribe", "orders").option("startingOffsets", "earliest").load();
            Dataset<Row> payments = spark.readStream().format("kafka").option("kafka.bootstrap.servers", kafka.bootstrapServers())
                    .option("subscribe", "payments").option("startingOffsets", "earliest").load();
            StreamingQuery query = started(payments.union(orders).writeStream().queryName("joined").format("noop")
                    .option("checkpointLocation", dir.resolve("checkpoint-joined").toString()).trigger(Trigger.ProcessingTime(200)).start());
            await().atMost(Duration.ofSeconds(60)).until(() -> query.lastProgress() != null
                    && java.util.Arrays.stream(query.lastProgress().sources()).mapToLong(SourceProgress::numInputRows).sum() > 0
                    || committed(kafka).size() == 5);
            Map<TopicPartition, Long> expected = new HashMap<>();
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                expected.clear();
                KafkaOffsetCommitListener.processedOffsets(query.lastProgress()).forEach((tp, offset) -> expected.put(tp, offset.offset()));
                return expected.values().stream().mapToLong(Long::longValue).sum() == 18 && committed(kafka).equals(expected);
            });
            assertEquals(5, expected.size(), "2 partitions of orders and 3 of payments, each under its own topic");
            assertFalse(expected.containsKey(new TopicPartition("orders", 2)));
        }
    }

    @Test
    void theMonitoringReportsItsOwnHealth_listenerQueueDropsAndThePublishersRecord() throws Exception {
        attach(new MonitoringHealthListener(settings()));
        String table = dir.resolve("watched").toString();
        spark.range(3).write().format("delta").mode("append").save(table);
        started(spark.readStream().format("delta").load(table).writeStream().queryName("watched").format("noop")
                .option("checkpointLocation", dir.resolve("checkpoint-watched").toString()).trigger(Trigger.ProcessingTime(200)).start());
        Map<String, String> app = Map.of("job", "streamwatch", "app", "signals");
        await().atMost(Duration.ofSeconds(30)).until(() -> value(MonitoringHealthListener.PUSHES, app).orElse(0) > 0);
        assertEquals(0, value(MonitoringHealthListener.EVENTS_DROPPED, Map.of("app", "signals", "queue", "streams")).orElse(-1),
                "the streams queue is reported, and nothing was dropped");
        assertEquals(0, value(MonitoringHealthListener.IN_OUTAGE, app).getAsDouble());
        double lastSuccess = await().atMost(Duration.ofSeconds(30))
                .until(() -> value(MonitoringHealthListener.LAST_SUCCESS, app), OptionalDouble::isPresent).getAsDouble();
        assertTrue(Math.abs(System.currentTimeMillis() / 1000.0 - lastSuccess) < 30, "a recent success: " + lastSuccess);
    }

    @Test
    void theKafkaLagIsUnknownDuringTheFirstBatchAndFollowsTheTopicsEndWhileABatchRuns() throws Exception {
        {
            EmbeddedKafka kafka = kafka();
            kafka.createTopic("clicks", 1);
            kafka.send("clicks", java.util.Collections.nCopies(200, "c"));
            attach(new KafkaLagListener(settings().withKafkaBootstrapServers(kafka.bootstrapServers())));
            attach(new QueryStatusListener(settings(), Duration.ofSeconds(8), 3, Duration.ofSeconds(30)));
            StreamingQuery query = gatedKafkaQuery(kafka, "clicks");
            Map<String, String> partition = Map.of("query", "clicks", "topic", "clicks", "partition", "0");
            String lag = MetricNaming.STREAMWATCH.kafkaLag();
            await().atMost(Duration.ofSeconds(60)).until(() -> query.status().isTriggerActive());
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5)).until(() -> value(lag, partition).isEmpty());
            GATES.get("clicks-0").countDown();
            await().atMost(Duration.ofSeconds(30)).until(() -> value(lag, partition).orElse(-1) == 0);
            kafka.send("clicks", java.util.Collections.nCopies(50, "c"));
            await().atMost(Duration.ofSeconds(30)).until(() -> value(lag, partition).orElse(-1) == 50);
            assertEquals(0, query.lastProgress().batchId(), "batch 1 still runs: the lag comes from the topic's end, not a progress");
            GATES.get("clicks-1").countDown();
            await().atMost(Duration.ofSeconds(30)).until(() -> value(lag, partition).orElse(-1) == 0);
        }
    }

    @Test
    void theKafkaLagInSecondsIsTheAgeOfTheOldestUnprocessedRecordAndGrowsWhileABatchIsHeld() throws Exception {
        EmbeddedKafka kafka = kafka();
        kafka.createTopic("aged", 1);
        long firstTime = System.currentTimeMillis() - 90_000;
        kafka.sendAt("aged", firstTime, java.util.Collections.nCopies(5, "a"));
        attach(new KafkaLagListener(settings().withKafkaBootstrapServers(kafka.bootstrapServers())));
        attach(new QueryHealthListener(settings()));
        attach(new QueryStatusListener(settings(), Duration.ofSeconds(8), 3, Duration.ofSeconds(30)));
        StreamingQuery query = gatedKafkaQuery(kafka, "aged");
        Map<String, String> partition = Map.of("query", "aged", "topic", "aged", "partition", "0");
        String seconds = KafkaLagListener.LAG_SECONDS;
        await().atMost(Duration.ofSeconds(60)).until(() -> query.status().isTriggerActive());
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5)).until(() -> value(seconds, partition).isEmpty());
        GATES.get("aged-0").countDown();
        await().atMost(Duration.ofSeconds(30)).until(() -> value(seconds, partition).orElse(-1) == 0);

        long heldTime = System.currentTimeMillis() - 40_000;
        kafka.sendAt("aged", heldTime, List.of("oldest unprocessed"));
        kafka.sendAt("aged", heldTime + 20_000, java.util.Collections.nCopies(2, "newer"));
        await().atMost(Duration.ofSeconds(30)).until(() -> value(seconds, partition).orElse(0) > 0);
        double pushed = value(seconds, partition).getAsDouble();
        double truth = (System.currentTimeMillis() - heldTime) / 1000.0;
        assertEquals(truth, pushed, 2.0, "now minus the timestamp of the first record of the held batch");
        await().atMost(Duration.ofSeconds(15)).until(() -> value(seconds, partition).orElse(0) >= pushed + 2);
        assertEquals(0, query.lastProgress().batchId(), "batch 1 is still held");
        GATES.get("aged-1").countDown();
        await().atMost(Duration.ofSeconds(30)).until(() -> value(seconds, partition).orElse(-1) == 0);
    }

    /** A query named after the topic it reads from the start, whose batches 0 and 1 wait for gates "topic-0" and "topic-1". */
    private StreamingQuery gatedKafkaQuery(EmbeddedKafka kafka, String topic) throws Exception {
        GATES.put(topic + "-0", new CountDownLatch(1));
        GATES.put(topic + "-1", new CountDownLatch(1));
        return started(spark.readStream().format("kafka").option("kafka.bootstrap.servers", kafka.bootstrapServers())
                .option("subscribe", topic).option("startingOffsets", "earliest").load().writeStream().queryName(topic)
                .option("checkpointLocation", dir.resolve("checkpoint-" + topic).toString()).trigger(Trigger.ProcessingTime(200))
                .foreachBatch((VoidFunction2<Dataset<Row>, Long>) (rows, batchId) -> {
                    CountDownLatch gate = GATES.get(topic + "-" + batchId);
                    if (gate != null) {
                        gate.await(2, TimeUnit.MINUTES);
                    }
                }).start());
    }

    private static Map<TopicPartition, Long> committed(EmbeddedKafka kafka) throws Exception {
        Map<TopicPartition, Long> offsets = new HashMap<>();
        Map<TopicPartition, OffsetAndMetadata> listed = kafka.admin().listConsumerGroupOffsets("spark-joined").partitionsToOffsetAndMetadata()
                .get(10, TimeUnit.SECONDS);
        listed.forEach((tp, offset) -> offsets.put(tp, offset.offset()));
        return offsets;
    }

    /** Each query of the dashboard's panels for these signals returned data while the tests above ran. */
    @Test
    @Order(Integer.MAX_VALUE)
    void theDashboardPanelsOfTheseSignalsShowData() {
        for (String panel : List.of("Query status", "Batch duration against its SLA", "Running batch and the first batch of a run",
                "Kafka lag: records and seconds", "Delta lag and backlog", "Keeping up: status, backlog, rates, time to catch up",
                "Event time, late rows and state", "Monitoring health: listener events dropped, publisher")) {
            DashboardPanels.assertHasData(prometheus, panel, classStartMillis);
        }
    }
}
