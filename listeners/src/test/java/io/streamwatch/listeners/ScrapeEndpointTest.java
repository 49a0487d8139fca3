package io.streamwatch.listeners;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamwatch.testkit.FreePorts;
import io.streamwatch.testkit.LocalPrometheus;
import io.streamwatch.testkit.LocalPushgateway;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.Trigger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pull as well as push: a real Prometheus scrapes the driver's /metrics while queries run, stop and start. */
class ScrapeEndpointTest {
    static SparkSession spark;
    static LocalPushgateway pushgateway;

    @TempDir
    static Path classDir;

    @TempDir
    Path dir;

    private final QueryCleanups cleanups = new QueryCleanups();

    @BeforeAll
    static void start() {
        pushgateway = LocalPushgateway.start(classDir.resolve("pushgateway"));
        spark = LocalSparkSessions.withDelta("scrape-endpoint").getOrCreate();
    }

    @AfterAll
    static void stop() {
        spark.stop();
        pushgateway.close();
    }

    @AfterEach
    void cleanUp() {
        cleanups.run();
    }

    private StreamingQuery rate(String name) throws Exception {
        return cleanups.stopAfter(spark.readStream().format("rate").option("rowsPerSecond", 5).load().writeStream().queryName(name)
                .format("noop").option("checkpointLocation", dir.resolve("checkpoint-" + name).toString())
                .trigger(Trigger.ProcessingTime(300)).start());
    }

    private static List<String> upQueries(LocalPrometheus prometheus) {
        return prometheus.query("streamwatch_query_up{job=\"streamwatch\"} == 1").stream()
                .map(series -> series.path("metric").path("query").asText()).sorted().toList();
    }

    @Test
    void prometheusScrapesTheDriverWhileAQueryRunsStopsAndAnotherStarts_andThePushGoesOn() throws Exception {
        int port = FreePorts.next();
        StreamwatchSettings settings = StreamwatchSettings.of(pushgateway.address()).withHeartbeatInterval(Duration.ofMillis(500))
                .withScrapeEndpoint(new InetSocketAddress("127.0.0.1", port));
        try (LocalPrometheus prometheus = LocalPrometheus.scraping("spark-driver", "127.0.0.1:" + port, dir.resolve("prometheus"))) {
            cleanups.attach(spark, new QueryHealthListener(settings));
            cleanups.attach(spark, new BatchDurationListener(settings));
            StreamingQuery first = rate("pulled_first");
            await().atMost(Duration.ofSeconds(60)).until(() -> upQueries(prometheus).equals(List.of("pulled_first")));
            await().atMost(Duration.ofSeconds(30)).until(() -> !prometheus.query(
                    "streamwatch_batch_duration_seconds{job=\"streamwatch\",query=\"pulled_first\",query_id!=\"\"}").isEmpty());
            assertEquals(1, pushgateway.value(QueryHealthListener.UP, Map.of("query", "pulled_first")).orElse(0),
                    "push and pull together: the Pushgateway has it too");

            first.stop();
            await().atMost(Duration.ofSeconds(30)).until(() -> upQueries(prometheus).isEmpty());
            StreamingQuery second = rate("pulled_second");
            await().atMost(Duration.ofSeconds(60)).until(() -> upQueries(prometheus).equals(List.of("pulled_second")));
            assertTrue(second.isActive());
            assertTrue(prometheus.query("up{job=\"spark-driver\"} == 1").size() == 1, "the driver is a healthy target");
        }
    }

    @Test
    void aPortAlreadyTakenIsOneWarningAndTheJobAndThePushGoOn() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
             CapturedLogs logs = new CapturedLogs()) {
            StreamwatchSettings settings = StreamwatchSettings.of(pushgateway.address()).withHeartbeatInterval(Duration.ofMillis(500))
                    .withScrapeEndpoint(new InetSocketAddress("127.0.0.1", taken.getLocalPort()));
            cleanups.attach(spark, new QueryHealthListener(settings));
            cleanups.attach(spark, new BatchDurationListener(settings));
            StreamingQuery query = rate("port_taken");
            await().atMost(Duration.ofSeconds(60)).until(() -> pushgateway.value(QueryHealthListener.UP, Map.of("query", "port_taken")).isPresent());
            assertTrue(query.isActive());
            String warning = "cannot serve /metrics on 127.0.0.1:" + taken.getLocalPort();
            assertEquals(1, logs.text().split(java.util.regex.Pattern.quote(warning), -1).length - 1, logs.text());
        }
    }
}
