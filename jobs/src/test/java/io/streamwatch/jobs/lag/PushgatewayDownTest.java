package io.streamwatch.jobs.lag;

import io.streamwatch.jobs.PushgatewayAndSparkTest;
import io.streamwatch.jobs.common.Jobs;
import io.streamwatch.jobs.common.SparkSessions;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamwatch.listeners.ReaderVersionListener;
import io.streamwatch.listeners.StreamwatchSettings;
import io.streamwatch.testkit.FreePorts;
import io.streamwatch.testkit.LocalPushgateway;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.spark.sql.streaming.StreamingQueryListener;
import org.junit.jupiter.api.Test;

class PushgatewayDownTest extends PushgatewayAndSparkTest {

    /** Times every callback of the listener it wraps, as Spark's listener bus calls it. */
    static final class Timed extends StreamingQueryListener {
        final StreamingQueryListener listener;
        final List<Long> callbackNanos = new CopyOnWriteArrayList<>();

        Timed(StreamingQueryListener listener) {
            this.listener = listener;
        }

        private void time(Runnable callback) {
            long start = System.nanoTime();
            callback.run();
            callbackNanos.add(System.nanoTime() - start);
        }

        @Override
        public void onQueryStarted(QueryStartedEvent event) {
            time(() -> listener.onQueryStarted(event));
        }

        @Override
        public void onQueryProgress(QueryProgressEvent event) {
            time(() -> listener.onQueryProgress(event));
        }

        @Override
        public void onQueryIdle(QueryIdleEvent event) {
            time(() -> listener.onQueryIdle(event));
        }

        @Override
        public void onQueryTerminated(QueryTerminatedEvent event) {
            time(() -> listener.onQueryTerminated(event));
        }
    }

    @Test
    void theConsumerSucceedsCallbacksStayFastAndTheValueArrivesWhenThePushgatewayIsUp() {
        int port = FreePorts.next();
        String downAddress = "127.0.0.1:" + port;
        createTable();
        write(3, "--files-per-commit", "2");
        Timed timed = new Timed(new ReaderVersionListener(StreamwatchSettings.of(downAddress)));
        spark().streams().addListener(timed);
        int exitCode;
        try {
            exitCode = Jobs.execute(new ConsumeVisits(), "--path", tablePath(), "--checkpoint", checkpoint(),
                    "--pushgateway", downAddress, "--push-timeout", "1s", "--max-files-per-trigger", "2", "--quiet");
            SparkSessions.awaitListeners(spark(), Duration.ofSeconds(10));
        } finally {
            spark().streams().removeListener(timed);
        }

        assertEquals(0, exitCode, "an unreachable Pushgateway never fails the job");
        assertTrue(timed.callbackNanos.size() >= 4, "start, 3 batches, end: " + timed.callbackNanos);
        long slowestMicros = timed.callbackNanos.stream().mapToLong(n -> n / 1000).max().orElseThrow();
        assertTrue(slowestMicros < 5_000, "slowest callback " + slowestMicros + " us");

        try (LocalPushgateway late = LocalPushgateway.startOn(port, dir.resolve("late-pushgateway"))) {
            OptionalDouble readerVersion = await().atMost(Duration.ofSeconds(30)).until(
                    () -> late.value("visits_reader_version", Map.of("query", ConsumeVisits.QUERY_NAME)),
                    OptionalDouble::isPresent);
            assertEquals(3, readerVersion.getAsDouble());
        }
    }
}
