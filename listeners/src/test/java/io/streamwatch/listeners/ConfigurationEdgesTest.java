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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The listeners attached by configuration alone to a job that knows nothing of them, each in a JVM of its own as
 * spark-submit starts a driver: bad settings never break the job, and a SIGTERM leaves nothing that looks alive.
 */
class ConfigurationEdgesTest {
    private static final String ALL_LISTENERS = String.join(",", ReaderVersionListener.class.getName(),
            BatchDurationListener.class.getName(), KafkaLagListener.class.getName(), QueryHealthListener.class.getName());

    @TempDir
    Path dir;

    private ChildJvm job(String name, Map<String, String> settings, String... more) {
        Map<String, String> properties = new HashMap<>(settings);
        properties.put("spark.master", "local[2]");
        properties.put("spark.sql.streaming.streamingQueryListeners", ALL_LISTENERS);
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
                     StreamwatchSettings.JOB, "bad_values"));
             ChildJvm badScheme = job("bad-scheme", Map.of(StreamwatchSettings.PUSHGATEWAY_ADDRESS, "htp://user:s3cret-pw@x:9091"));
             ChildJvm badPort = job("bad-port", Map.of(StreamwatchSettings.PUSHGATEWAY_ADDRESS, "host:9O91"));
             ChildJvm badSecretFile = job("bad-secret-file", Map.of(StreamwatchSettings.PUSHGATEWAY_ADDRESS, pushgateway.address(),
                     StreamwatchSettings.USERNAME, "streamwatch", StreamwatchSettings.PASSWORD_FILE, "/no/such/password-file"))) {
            for (ChildJvm job : List.of(badValues, badScheme, badPort, badSecretFile)) {
                assertEquals(0, job.awaitExit(Duration.ofMinutes(4)), () -> "the job's queries ran:\n" + job.logTail(40));
                assertFalse(job.log().contains("Exception when registering StreamingQueryListener"), job::log);
            }
            assertOneWarning(badValues, StreamwatchSettings.HEARTBEAT_INTERVAL + "='five seconds' is not valid");
            assertOneWarning(badValues, StreamwatchSettings.FLUSH_TIMEOUT + "='-3s' is not valid (must be positive); using 10000ms");
            assertOneWarning(badValues, StreamwatchSettings.METRICS_NAMING + "='nonsense' is not valid (expected streamwatch or visits)");
            assertEquals(1, pushgateway.value(MetricNaming.STREAMWATCH.readerVersion(), Map.of("job", "bad_values")).orElseThrow(
                    () -> new AssertionError("the listeners pushed with the defaults: " + pushgateway.metrics().samples())));

            assertOneWarning(badScheme, StreamwatchSettings.PUSHGATEWAY_ADDRESS + ": not a Pushgateway address (the scheme must be http or https): htp://***@x:9091");
            assertFalse(badScheme.log().contains("s3cret-pw"), "no secret in the log");
            assertOneWarning(badPort, StreamwatchSettings.PUSHGATEWAY_ADDRESS + ": not a Pushgateway address");
            assertOneWarning(badSecretFile, "cannot read " + StreamwatchSettings.PASSWORD_FILE);
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

    private static void assertOneWarning(ChildJvm job, String text) {
        long count = Pattern.compile(Pattern.quote(text)).matcher(job.log()).results().count();
        assertEquals(1, count, () -> "one warning '" + text + "' in:\n" + job.log());
    }
}
