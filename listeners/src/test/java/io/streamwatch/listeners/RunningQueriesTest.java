package io.streamwatch.listeners;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamwatch.testkit.LocalPushgateway;
import io.streamwatch.testkit.PrometheusText;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryListener;
import org.apache.spark.sql.streaming.Trigger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The listeners on real streaming queries over real Delta tables: idle, stalled, in a second session, restarted. */
class RunningQueriesTest {
    private static final MetricNaming NAMES = MetricNaming.STREAMWATCH;
    static SparkSession spark;
    static LocalPushgateway pushgateway;
    /** Batches that block until released, per test. */
    static final Map<String, CountDownLatch> GATES = new java.util.concurrent.ConcurrentHashMap<>();

    @TempDir
    static Path classDir;

    @TempDir
    Path dir;

    private final QueryCleanups cleanups = new QueryCleanups();

    @BeforeAll
    static void start() {
        pushgateway = LocalPushgateway.start(classDir.resolve("pushgateway"));
        spark = LocalSparkSessions.withDelta("running-queries").config("spark.sql.streaming.noDataProgressEventInterval", "500").getOrCreate();
    }

    @AfterAll
    static void stop() {
        spark.stop();
        pushgateway.close();
    }

    @AfterEach
    void cleanUp() {
        GATES.values().forEach(CountDownLatch::countDown);
        cleanups.run();
    }

    private StreamwatchSettings settings() {
        return StreamwatchSettings.of(pushgateway.address()).withHeartbeatInterval(Duration.ofMillis(500));
    }

    private <T extends StreamingQueryListener> T attach(SparkSession session, T listener) {
        return cleanups.attach(session, listener);
    }

    private String table(int commits) {
        String table = dir.resolve("table").toString();
        for (int i = 0; i < commits; i++) {
            spark.range(3).write().format("delta").mode("append").save(table);
        }
        return table;
    }

    /** Streams the table; batch {@code gatedBatch} waits for its gate (named after the query), after {@code delayMillis}. */
    private StreamingQuery stream(SparkSession session, String table, String name, long gatedBatch, long delayMillis) throws Exception {
        return stream(session, table, name, gatedBatch, delayMillis, dir.resolve("checkpoint-" + name + "-" + System.nanoTime()));
    }

    private StreamingQuery stream(SparkSession session, String table, String name, long gatedBatch, long delayMillis, Path checkpoint)
            throws Exception {
        GATES.put(name, new CountDownLatch(1));
        StreamingQuery query = session.readStream().format("delta").load(table).writeStream()
                .queryName(name)
                .option("checkpointLocation", checkpoint.toString())
                .trigger(Trigger.ProcessingTime(200))
                .foreachBatch((VoidFunction2<Dataset<Row>, Long>) (rows, batchId) -> {
                    if (delayMillis > 0) {
                        Thread.sleep(delayMillis);
                    }
                    if (batchId == gatedBatch) {
                        GATES.get(name).await(2, TimeUnit.MINUTES);
                    }
                })
                .start();
        return cleanups.stopAfter(query);
    }

    private static OptionalDouble value(String metric, String query) {
        return pushgateway.value(metric, Map.of("query", query));
    }

    @Test
    void pushedValuesAlsoReachTheMetricsTopicKeyedByNameAndLabels() throws Exception {
        try (io.streamwatch.testkit.EmbeddedKafka kafka = io.streamwatch.testkit.EmbeddedKafka.start(dir)) {
            kafka.createTopic("metrics", 3);
            StreamwatchSettings.MetricsTopic topic = new StreamwatchSettings.MetricsTopic(kafka.bootstrapServers(), "metrics");
            attach(spark, new BatchDurationListener(settings().withMetricsTopic(topic)));
            cleanups.add(() -> {
                PushgatewayPublisher.shared(pushgateway.address()).removeForwarder(MetricsTopicBridge.shared(topic));
                MetricsTopicBridge.shared(topic).close();
            });
            stream(spark, table(2), "bridged", -1, 300);
            String key = NAMES.batchDurationSeconds() + "{job=streamwatch,query=bridged}";
            io.streamwatch.testkit.EmbeddedKafka.Record record = await().atMost(Duration.ofSeconds(60)).until(() -> kafka.read("metrics")
                    .stream().filter(r -> key.equals(r.key())).findFirst(), java.util.Optional::isPresent).orElseThrow();
            double seconds = new com.fasterxml.jackson.databind.ObjectMapper().readTree(record.value()).get("value").asDouble();
            assertTrue(seconds >= 0.3, record.value());
            assertTrue(record.value().matches("\\{\"value\": [0-9.]+}"), record.value());
        }
    }

    @Test
    void anIdleQueryIsNotMissingItsSla() throws Exception {
        attach(spark, new BatchDurationListener(settings()));
        stream(spark, table(1), "idle_query", -1, 1_500);

        double seconds = await().atMost(Duration.ofSeconds(60))
                .until(() -> value(NAMES.batchDurationSeconds(), "idle_query"), OptionalDouble::isPresent).getAsDouble();
        assertTrue(seconds >= 1.5, "the slow batch: " + seconds);

        await().atMost(Duration.ofSeconds(30)).until(() -> value(NAMES.batchDurationSeconds(), "idle_query").isEmpty());
        assertTrue(value(MetricNaming.LAST_BATCH_DURATION_SECONDS, "idle_query").getAsDouble() >= 1.5,
                "the last executed batch stays visible under a name no SLA rule uses");
    }

    /** Each query pushes what it is held to: its own bounds over the application's; a bound set nowhere is not pushed. */
    @Test
    void eachQueryPushesItsOwnBoundsOverTheApplicationsAndNoneThatIsSetNowhere() throws Exception {
        QueryBounds bounds = QueryBounds.from(Map.of(StreamwatchSettings.SLA, "30s", StreamwatchSettings.MAX_LAG, "10min",
                "spark.streamwatch.query.fast.sla", "2s", "spark.streamwatch.query.fast.firstBatch", "1500ms"), (key, why) -> {
                    throw new AssertionError(key + " " + why);
                });
        attach(spark, new QueryHealthListener(settings().withBounds(bounds)));
        String table = table(1);
        stream(spark, table, "fast", -1, 0);
        stream(spark, table, "slow", -1, 0);
        await().atMost(Duration.ofSeconds(60)).until(() -> value(QueryHealthListener.SLA_SECONDS, "slow").isPresent()
                && value(QueryHealthListener.SLA_SECONDS, "fast").isPresent());
        assertEquals(2, value(QueryHealthListener.SLA_SECONDS, "fast").getAsDouble());
        assertEquals(1.5, value(QueryHealthListener.FIRST_BATCH_SECONDS, "fast").getAsDouble());
        assertEquals(600, value(QueryHealthListener.MAX_LAG_SECONDS, "fast").getAsDouble(), "the application's, not overridden");
        assertEquals(30, value(QueryHealthListener.SLA_SECONDS, "slow").getAsDouble());
        assertTrue(value(QueryHealthListener.FIRST_BATCH_SECONDS, "slow").isEmpty(), "set nowhere: left to the rules' default");
    }

    /** A redeploy's first batch is cold: it is marked, while it runs and once it has ended, run after run. */
    @Test
    void aRunsFirstBatchIsMarkedWhileItRunsAndAfter() throws Exception {
        attach(spark, new BatchDurationListener(settings()));
        attach(spark, new QueryHealthListener(settings()));
        String table = table(1);
        Path checkpoint = dir.resolve("checkpoint-warm");
        StreamingQuery firstRun = stream(spark, table, "warm", 0, 0, checkpoint);

        await().atMost(Duration.ofSeconds(60)).until(() -> value(QueryHealthListener.RUNNING_BATCH_SECONDS, "warm"),
                running -> running.isPresent() && running.getAsDouble() >= 1);
        assertEquals(1, value(QueryHealthListener.WARMING_UP, "warm").getAsDouble(), "the running batch is the run's first");
        GATES.get("warm").countDown();
        await().atMost(Duration.ofSeconds(30)).until(() -> value(BatchDurationListener.FIRST_OF_RUN, "warm"),
                first -> first.isPresent() && first.getAsDouble() == 1);
        await().atMost(Duration.ofSeconds(10)).until(() -> value(QueryHealthListener.WARMING_UP, "warm").getAsDouble() == 0);

        table(1);
        await().atMost(Duration.ofSeconds(30)).until(() -> value(BatchDurationListener.FIRST_OF_RUN, "warm"),
                first -> first.isPresent() && first.getAsDouble() == 0);
        firstRun.stop();

        stream(spark, table, "warm", -1, 0, checkpoint);
        await().atMost(Duration.ofSeconds(60)).until(() -> value(QueryHealthListener.WARMING_UP, "warm"),
                warming -> warming.isPresent() && warming.getAsDouble() == 1);
        table(1);
        await().atMost(Duration.ofSeconds(30)).until(() -> value(BatchDurationListener.FIRST_OF_RUN, "warm"),
                first -> first.isPresent() && first.getAsDouble() == 1);
        await().atMost(Duration.ofSeconds(10)).until(() -> value(QueryHealthListener.WARMING_UP, "warm").getAsDouble() == 0);
    }

    @Test
    void theLagInSecondsIsHowLongTheOldestUnprocessedCommitHasWaitedAndGrowsWhileTheQueryStalls() throws Exception {
        String table = table(1);
        attach(spark, new ReaderVersionListener(settings()));
        stream(spark, table, "stalled_reader", 1, 0);
        await().atMost(Duration.ofSeconds(60)).until(() -> value(NAMES.readerVersion(), "stalled_reader"),
                version -> version.isPresent() && version.getAsDouble() == 0);
        // An hourly writer: the processed commit is an hour old, the next one is fresh.
        Path commit0 = Path.of(table, "_delta_log", "00000000000000000000.json");
        FileSystem.getLocal(spark.sparkContext().hadoopConfiguration())
                .setTimes(new org.apache.hadoop.fs.Path(commit0.toString()), System.currentTimeMillis() - 3_600_000, -1);
        table(1);

        double fresh = await().atMost(Duration.ofSeconds(30)).until(() -> value(NAMES.readerLagVersions(), "stalled_reader"),
                lag -> lag.isPresent() && lag.getAsDouble() == 1).isPresent() ? value(NAMES.readerLagSeconds(), "stalled_reader").getAsDouble() : -1;
        assertTrue(fresh >= 0 && fresh < 60, "one fresh commit is seconds behind, not an hour: " + fresh);
        await().atMost(Duration.ofSeconds(30)).until(() -> value(NAMES.readerLagSeconds(), "stalled_reader").getAsDouble() >= fresh + 2);
        assertEquals(0, value(NAMES.readerVersion(), "stalled_reader").getAsDouble(), "no progress meanwhile: batch 1 is stalled");

        GATES.get("stalled_reader").countDown();
        await().atMost(Duration.ofSeconds(30)).until(() -> value(NAMES.readerLagSeconds(), "stalled_reader").getAsDouble() == 0);
        assertEquals(1, value(NAMES.readerVersion(), "stalled_reader").getAsDouble());
    }

    @Test
    void aQueryOfASecondSessionHasItsHeartbeat() throws Exception {
        SparkSession second = spark.newSession();
        attach(second, new QueryHealthListener(settings()));
        StreamingQuery query = stream(second, table(1), "second_session_query", 0, 0);

        await().atMost(Duration.ofSeconds(60)).until(() -> value(QueryHealthListener.RUNNING_BATCH_SECONDS, "second_session_query"),
                running -> running.isPresent() && running.getAsDouble() >= 1);
        assertEquals(1, value(QueryHealthListener.UP, "second_session_query").getAsDouble());
        GATES.get("second_session_query").countDown();
        query.stop();
        await().atMost(Duration.ofSeconds(10)).until(() -> value(QueryHealthListener.UP, "second_session_query").isEmpty());
    }

    @Test
    void twoQueriesOfOneNameKeepTheirOwnSeriesAndAStopRemovesOnlyItsOwn() throws Exception {
        SparkSession second = spark.newSession();
        attach(spark, new QueryHealthListener(settings()));
        attach(second, new QueryHealthListener(settings()));
        String table = table(1);
        StreamingQuery first = stream(spark, table, "same_name", -1, 0);
        stream(second, table, "same_name", -1, 0);

        await().atMost(Duration.ofSeconds(60)).until(() -> upSeries("same_name").size() == 2);
        first.stop();
        await().atMost(Duration.ofSeconds(10)).until(() -> upSeries("same_name").size() == 1);
        assertFalse(upSeries("same_name").get(0).labels().get("query_id").equals(first.id().toString()));
    }

    @Test
    void aHeartbeatRacingTheStopNeverBringsTheSeriesBack() throws Exception {
        attach(spark, new QueryHealthListener(StreamwatchSettings.of(pushgateway.address()).withHeartbeatInterval(Duration.ofMillis(1))));
        String table = table(1);
        // A flush reports the drops since the previous one: an earlier test's reader, computing after its table was
        // deleted, is not this test's to report.
        PushgatewayPublisher.shared(pushgateway.address()).flush(Duration.ofSeconds(5));
        for (int round = 0; round < 5; round++) {
            StreamingQuery query = stream(spark, table, "racing_" + round, -1, 0);
            String name = "racing_" + round;
            await().atMost(Duration.ofSeconds(60)).until(() -> value(QueryHealthListener.UP, name).isPresent());
            query.stop();
            await().atMost(Duration.ofSeconds(10)).until(() -> value(QueryHealthListener.UP, name).isEmpty());
            // Whatever a heartbeat racing the stop computed is delivered (or dropped: a stopped query's snapshot may fail).
            PushgatewayPublisher.shared(pushgateway.address()).flush(Duration.ofSeconds(5));
            await("stays removed after round " + round).during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(3))
                    .until(() -> value(QueryHealthListener.UP, name).isEmpty());
        }
    }

    private static List<PrometheusText.Sample> upSeries(String query) {
        return pushgateway.metrics().samples().stream().filter(s -> s.matches(QueryHealthListener.UP, Map.of("query", query))).toList();
    }
}
