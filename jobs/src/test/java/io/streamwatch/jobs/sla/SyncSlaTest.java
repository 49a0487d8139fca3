package io.streamwatch.jobs.sla;

import io.streamwatch.jobs.KafkaPushgatewayAndSparkTest;

import static io.streamwatch.listeners.BatchDurationListener.DURATION_MILLIS;
import static io.streamwatch.listeners.BatchDurationListener.DURATION_SECONDS;
import static io.streamwatch.listeners.KafkaLagListener.LAG;
import static io.streamwatch.listeners.QueryHealthListener.RUNNING_BATCH_SECONDS;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SyncSlaTest extends KafkaPushgatewayAndSparkTest {

    @Test
    void aDelayedBatchPushesItsDurationAndThePartitionLagsReachZero() throws Exception {
        generate(100, 0);
        Future<Integer> delayed = startSync("--batch-delay", "2s", "--trigger-interval", "1s");

        double delayedMillis = await().atMost(Duration.ofSeconds(60))
                .until(() -> syncValue(DURATION_MILLIS, Map.of()), OptionalDouble::isPresent).getAsDouble();
        assertTrue(delayedMillis >= 2_000, "a 2 s delay: " + delayedMillis + " ms");
        assertEquals(delayedMillis / 1000, syncValue(DURATION_SECONDS, Map.of()).getAsDouble(), 0.001);
        await().atMost(Duration.ofSeconds(60)).until(() -> rows(tablePath()) == 100);
        for (String partition : new String[] {"0", "1"}) {
            await().atMost(Duration.ofSeconds(30)).until(
                    () -> syncValue(LAG, Map.of("topic", topic, "partition", partition)), lag -> lag.isPresent() && lag.getAsDouble() == 0);
        }
        stopSync();
        assertEquals(0, delayed.get(30, TimeUnit.SECONDS));
        assertFalse(syncValue(DURATION_MILLIS, Map.of()).isPresent(), "a graceful stop leaves no duration behind");
        assertFalse(syncValue(RUNNING_BATCH_SECONDS, Map.of()).isPresent(), "nor a heartbeat that looks alive");

        generate(100, 0);
        Future<Integer> prompt = startSync("--trigger-interval", "1s");
        await().atMost(Duration.ofSeconds(60)).until(() -> rows(tablePath()) == 200);
        generate(50, 0); // the first batch of a run also starts the query; the SLA is about the steady ones
        await().atMost(Duration.ofSeconds(60)).until(() -> rows(tablePath()) == 250);
        double promptMillis = await().atMost(Duration.ofSeconds(30))
                .until(() -> syncValue(DURATION_MILLIS, Map.of()), OptionalDouble::isPresent).getAsDouble();
        System.out.println("steady batch without delay: " + promptMillis + " ms");
        assertTrue(promptMillis < delayedMillis - 1_000, "no delay: " + promptMillis + " ms vs " + delayedMillis + " ms with it; " + java.util.Arrays.stream(spark().streams().active())
                .map(q -> q.lastProgress() == null ? "" : q.lastProgress().durationMs().toString()).toList());
        stopSync();
        assertEquals(0, prompt.get(30, TimeUnit.SECONDS));
    }

    @Test
    void aHangingBatchIsReportedWhileItIsStillRunning() throws Exception {
        generate(20, 0);
        Future<Integer> hanging = startSync("--batch-delay", "10s", "--heartbeat-interval", "1s");

        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> syncValue(RUNNING_BATCH_SECONDS, Map.of()), running -> running.isPresent() && running.getAsDouble() > 5);
        assertEquals(0, rows(tablePath()), "the batch has not ended yet");
        assertFalse(hanging.isDone());

        await().atMost(Duration.ofSeconds(30)).until(() -> rows(tablePath()) == 20);
        await().atMost(Duration.ofSeconds(10)).until(() -> syncValue(RUNNING_BATCH_SECONDS, Map.of()),
                running -> running.isPresent() && running.getAsDouble() < 5);
        stopSync();
        assertEquals(0, hanging.get(30, TimeUnit.SECONDS));
    }
}
