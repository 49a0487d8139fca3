package io.streamwatch.listeners;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamwatch.testkit.LocalPushgateway;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.Trigger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The one listener to attach: {@code spark.streamwatch.signals} picks what it turns on, a bad list warns once and
 * keeps every signal, the offset commits need their group, and on a real Delta query a subset pushes that subset.
 * (Every signal on every runtime, attached by configuration in a JVM of its own: {@code RuntimeMatrixTest}.)
 */
class StreamwatchListenerTest {
    @TempDir
    Path dir;

    private static SparkConf conf(String signals) {
        SparkConf conf = new SparkConf(false).set(StreamwatchSettings.PUSHGATEWAY_ADDRESS, "127.0.0.1:9");
        return signals == null ? conf : conf.set(StreamwatchSettings.SIGNALS, signals);
    }

    @Test
    void signalsPicksWhatRunsAndTheCommitsNeedTheirGroup() {
        assertEquals(7, new StreamwatchListener(conf(null)).runningSignals(), "all but the commits, which have no group");
        assertEquals(8, new StreamwatchListener(conf(null).set(StreamwatchSettings.KAFKA_COMMIT_GROUP, "spark-{query}")
                .set(StreamwatchSettings.KAFKA_BOOTSTRAP_SERVERS, "127.0.0.1:9")).runningSignals());
        assertEquals(2, new StreamwatchListener(conf(" Duration , delta ")).runningSignals());
        assertEquals(Signal.ALL, Signal.parse("all"));
    }

    @Test
    void anUnknownSignalIsOneWarningAndEverySignalRuns() {
        try (CapturedLogs logs = new CapturedLogs()) {
            StreamwatchListener listener = new StreamwatchListener(conf("duration,helth"));
            new StreamwatchListener(conf("duration,helth"));

            assertEquals(7, listener.runningSignals());
            String warning = StreamwatchSettings.SIGNALS + "='duration,helth' is not valid (unknown signal 'helth'; known: all, duration,";
            assertEquals(1, Pattern.compile(Pattern.quote(warning)).matcher(logs.text()).results().count(), logs.text());
            assertTrue(logs.text().contains("); using all"), logs.text());
        }
    }

    @Test
    void aSubsetPushesThatSubsetOnARealQuery() throws Exception {
        try (LocalPushgateway pushgateway = LocalPushgateway.start(dir.resolve("pushgateway"))) {
            SparkSession spark = LocalSparkSessions.withDelta("streamwatch-listener").getOrCreate();
            QueryCleanups cleanups = new QueryCleanups();
            try {
                String table = dir.resolve("orders").toString();
                spark.range(5).write().format("delta").mode("append").save(table);
                cleanups.attach(spark, new StreamwatchListener(new SparkConf(false)
                        .set(StreamwatchSettings.PUSHGATEWAY_ADDRESS, pushgateway.address())
                        .set(StreamwatchSettings.JOB, "subset")
                        .set(StreamwatchSettings.SIGNALS, "delta,duration")));
                cleanups.stopAfter(spark.readStream().format("delta").load(table).writeStream().queryName("orders").format("noop")
                        .option("checkpointLocation", dir.resolve("checkpoint").toString()).trigger(Trigger.ProcessingTime(200)).start());
                Map<String, String> query = Map.of("job", "subset", "query", "orders");
                await().atMost(Duration.ofSeconds(60)).until(() -> pushgateway.value(MetricNaming.STREAMWATCH.readerVersion(), query).orElse(-1) == 0
                        && pushgateway.value(BatchDurationListener.LAST_BATCH_SECONDS, query).isPresent());
                assertFalse(pushgateway.value(QueryHealthListener.UP, query).isPresent(), "health is not among the signals asked for");
                assertFalse(pushgateway.metrics().samples().stream().anyMatch(s -> s.name().equals(QueryStatusListener.STATUS)));
            } finally {
                cleanups.run();
                spark.stop();
            }
        }
    }
}
