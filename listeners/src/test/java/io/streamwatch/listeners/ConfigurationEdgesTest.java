package io.streamwatch.listeners;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamwatch.testkit.ChildJvm;
import io.streamwatch.testkit.LocalPushgateway;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The listeners attached by configuration alone to a job that knows nothing of them, each in a JVM of its own as
 * spark-submit starts a driver: bad settings never break the job, and a SIGTERM leaves nothing that looks alive.
 * Settings that only differ in how the address fails are checked in this JVM: they take one path, tested whole.
 */
class ConfigurationEdgesTest {
    private static final String ALL_LISTENERS = String.join(",", ReaderVersionListener.class.getName(),
            BatchDurationListener.class.getName(), KafkaLagListener.class.getName(), QueryHealthListener.class.getName());

    @TempDir
    Path dir;

    private ChildJvm job(String name, Map<String, String> settings, String... more) {
        Map<String, String> properties = new HashMap<>(settings);
        properties.put("spark.master", "local[2]");
        properties.putIfAbsent("spark.sql.streaming.streamingQueryListeners", ALL_LISTENERS);
        String[] args = new String[2 + more.length];
        args[0] = dir.resolve(name + "-table").toString();
        args[1] = dir.resolve(name + "-checkpoint").toString();
        System.arraycopy(more, 0, args, 2, more.length);
        return ChildJvm.start(PlainDeltaStream.class, properties, dir.resolve(name + ".log"), args);
    }

    @Test
    void noBadSettingBreaksTheJobAndEachGivesOneWarningNamingItsKeyButNoSecret() {
        try (LocalPushgateway pushgateway = LocalPushgateway.start(dir.resolve("pushgateway"));
             ChildJvm badValues = job("bad-values", Map.of(
                     StreamwatchSettings.PUSHGATEWAY_ADDRESS, pushgateway.address(),
                     StreamwatchSettings.HEARTBEAT_INTERVAL, "five seconds",
                     StreamwatchSettings.FLUSH_TIMEOUT, "-3s",
                     StreamwatchSettings.METRICS_NAMING, "nonsense",
                     StreamwatchSettings.SLA, "soon",
                     "spark.streamwatch.query.plain.sla", "-2s",
                     "spark.streamwatch.query.plain.slo", "2s",
                     StreamwatchSettings.JOB, "bad_values"));
             ChildJvm badAddress = job("bad-address", Map.of(StreamwatchSettings.PUSHGATEWAY_ADDRESS, "htp://user:s3cret-pw@x:9091"))) {
            for (ChildJvm job : List.of(badValues, badAddress)) {
                assertEquals(0, job.awaitExit(Duration.ofMinutes(4)), () -> "the job's queries ran:\n" + job.logTail(40));
                assertFalse(job.log().contains("Exception when registering StreamingQueryListener"), job::log);
            }
            assertOneWarning(badValues.log(), StreamwatchSettings.HEARTBEAT_INTERVAL + "='five seconds' is not valid");
            assertOneWarning(badValues.log(), StreamwatchSettings.FLUSH_TIMEOUT + "='-3s' is not valid (must be positive); using 10000ms");
            assertOneWarning(badValues.log(), StreamwatchSettings.METRICS_NAMING + "='nonsense' is not valid (expected streamwatch or visits)");
            assertOneWarning(badValues.log(), StreamwatchSettings.SLA + "='soon' is not a duration (e.g. 30s, 10min); ignored");
            assertOneWarning(badValues.log(), "spark.streamwatch.query.plain.sla='-2s' is not a positive duration; ignored");
            assertOneWarning(badValues.log(), "spark.streamwatch.query.plain.slo='2s' is not a query bound");
            assertEquals(1, pushgateway.value(MetricNaming.STREAMWATCH.readerVersion(), Map.of("job", "bad_values")).orElseThrow(
                    () -> new AssertionError("the listeners pushed with the defaults: " + pushgateway.metrics().samples())));

            assertOneWarning(badAddress.log(), StreamwatchSettings.PUSHGATEWAY_ADDRESS + ": not a Pushgateway address (the scheme must be http or https): htp://***@x:9091");
            assertFalse(badAddress.log().contains("s3cret-pw"), "no secret in the log");
        }
    }

    /** Any address that cannot be used takes the path of the bad scheme above: one warning, nothing pushed. */
    @Test
    void anUnusableAddressOrSecretFileIsOneWarningAndNoPublisher() {
        try (CapturedLogs logs = new CapturedLogs()) {
            StreamwatchSettings badPort = StreamwatchSettings.from(new SparkConf(false)
                    .set(StreamwatchSettings.PUSHGATEWAY_ADDRESS, "host:9O91"));
            StreamwatchSettings badSecretFile = StreamwatchSettings.from(new SparkConf(false)
                    .set(StreamwatchSettings.PUSHGATEWAY_ADDRESS, "localhost:9091")
                    .set(StreamwatchSettings.USERNAME, "streamwatch")
                    .set(StreamwatchSettings.PASSWORD_FILE, "/no/such/password-file"));
            StreamwatchSettings.from(new SparkConf(false).set(StreamwatchSettings.PUSHGATEWAY_ADDRESS, "host:9O91"));

            assertTrue(badPort.pushgateway().isEmpty());
            assertTrue(badSecretFile.pushgateway().isEmpty());
            assertOneWarning(logs.text(), StreamwatchSettings.PUSHGATEWAY_ADDRESS + ": not a Pushgateway address");
            assertOneWarning(logs.text(), "cannot read " + StreamwatchSettings.PASSWORD_FILE);
        }
    }

    @Test
    void aSigtermedJobLeavesNoSeriesThatLookAlive() {
        try (LocalPushgateway pushgateway = LocalPushgateway.start(dir.resolve("pushgateway"));
             ChildJvm job = job("sigterm", Map.of(StreamwatchSettings.PUSHGATEWAY_ADDRESS, pushgateway.address(),
                     StreamwatchSettings.HEARTBEAT_INTERVAL, "1s"), "continuous")) {
            Map<String, String> query = Map.of("query", "plain_stream");
            await().atMost(Duration.ofMinutes(3)).until(() -> pushgateway.value(QueryHealthListener.UP, query).isPresent()
                    && pushgateway.value(MetricNaming.STREAMWATCH.batchDurationSeconds(), query).isPresent());

            job.terminate();

            assertEquals(143, job.awaitExit(Duration.ofSeconds(60)), "a third-party job keeps its own exit code");
            assertFalse(pushgateway.value(QueryHealthListener.UP, query).isPresent(), () -> pushgateway.metrics().samples() + job.logTail(30));
            assertFalse(pushgateway.value(MetricNaming.STREAMWATCH.batchDurationSeconds(), query).isPresent());
            assertEquals(1, pushgateway.value(MetricNaming.STREAMWATCH.readerVersion(), query).getAsDouble(),
                    "the reader's position stays: writer minus reader is its lag");
        }
    }

    /** Spark drops events silently when its {@code streams} queue is full; the drops must show on the Pushgateway. */
    @Test
    void eventsThatSparksStreamsQueueDropsAreCounted() {
        try (LocalPushgateway pushgateway = LocalPushgateway.start(dir.resolve("pushgateway"));
             ChildJvm job = job("overflow", Map.of(StreamwatchSettings.PUSHGATEWAY_ADDRESS, pushgateway.address(),
                     StreamwatchSettings.HEARTBEAT_INTERVAL, "1s",
                     StreamwatchSettings.JOB, "overflow",
                     "spark.scheduler.listenerbus.eventqueue.streams.capacity", "2",
                     "spark.sql.streaming.streamingQueryListeners",
                     SlowThirdPartyListener.class.getName() + "," + MonitoringHealthListener.class.getName()), "busy")) {
            Map<String, String> streams = Map.of("job", "overflow", "queue", "streams");
            await().atMost(Duration.ofMinutes(3)).until(() -> pushgateway.value(MonitoringHealthListener.EVENTS_DROPPED, streams)
                    .orElse(0) > 0);
            assertTrue(job.log().contains("Dropping event from queue streams"), "Spark says it dropped: " + job.logTail(30));
            assertTrue(job.isAlive(), "the job runs on");
        }
    }

    private static void assertOneWarning(String log, String text) {
        long count = Pattern.compile(Pattern.quote(text)).matcher(log).results().count();
        assertEquals(1, count, () -> "one warning '" + text + "' in:\n" + log);
    }
}
