package io.streamwatch.jobs.sla;

import io.streamwatch.jobs.KafkaPushgatewayAndSparkTest;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamwatch.listeners.BatchDurationListener;
import io.streamwatch.listeners.QueryHealthListener;
import io.streamwatch.testkit.ChildJvm;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A redeploy is not a crash: SIGTERM to a running job stops it gracefully, removes its health series, exits 0. */
class RedeployTest extends KafkaPushgatewayAndSparkTest {

    @Test
    void sigtermStopsAContinuousSynchronizerGracefullyAndLeavesNothingThatLooksAlive() {
        generate(100, 0);
        try (ChildJvm sync = ChildJvm.start(SyncVisitsToDelta.class, Map.of("spark.master", "local[2]"), dir.resolve("sync.log"),
                syncArgs("--trigger-interval", "1s", "--heartbeat-interval", "1s"))) {
            await().atMost(Duration.ofMinutes(2)).until(() -> rowsOrZero() == 100);
            assertEquals(1, awaitValue(QueryHealthListener.UP, syncSeries(Map.of())));

            sync.terminate();

            assertEquals(0, sync.awaitExit(Duration.ofSeconds(60)), () -> sync.logTail(40));
            assertTrue(sync.log().contains("SIGTERM received: stopping gracefully"), () -> sync.logTail(40));
        }
        for (String metric : new String[] {QueryHealthListener.UP, QueryHealthListener.RUNNING_BATCH_SECONDS,
            BatchDurationListener.DURATION_MILLIS}) {
            assertFalse(syncValue(metric, Map.of()).isPresent(), metric + " is gone: " + pushgateway.metrics().samples());
        }
    }

    @Test
    void sigtermStopsAContinuousGeneratorWhichReportsWhatItSent() {
        generate(1, 0);
        try (ChildJvm generator = ChildJvm.start(GenerateVisits.class, Map.of(), dir.resolve("generator.log"),
                "--bootstrap-servers", kafka.bootstrapServers(), "--topic", topic, "--continuous", "--rate", "50")) {
            await().atMost(Duration.ofMinutes(1)).until(() -> kafka.records(topic) > 20);

            generator.terminate();

            assertEquals(0, generator.awaitExit(Duration.ofSeconds(30)), () -> generator.logTail(40));
            assertTrue(generator.log().contains("produced "), () -> generator.logTail(20));
        }
    }

}
