package io.streamwatch.jobs.alarms;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.streamwatch.rules.Operator;
import io.streamwatch.rules.Rule;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Every test of {@link AlarmsTest} with {@code --engine micro-batch}: in the suite, what the engines do differently
 * (matching and the quarantine on the executors, stateful rules decided per rule in a shuffle, a restart and a
 * checkpoint reset, a frozen rules view failing the query); in the slow suite, what they share behind the outbox
 * (delivery in lanes, its progress) and the kills; and large junk quarantined where it is read.
 */
class AlarmsMicroBatchEngineTest extends AlarmsTest {
    @Override
    String engine() {
        return Alarms.MICRO_BATCH;
    }

    @Override
    @Tag("slow")
    @Test
    void killedAtExactMomentsThenAtRandomUnderLoadTheJobLosesNoAlarm_recordsEachOnce_andRepeatsOnlyWhatWasInFlight() throws Exception {
        super.killedAtExactMomentsThenAtRandomUnderLoadTheJobLosesNoAlarm_recordsEachOnce_andRepeatsOnlyWhatWasInFlight();
    }

    @Override
    @Tag("slow")
    @Test
    void aRateLimitedWebhookDelaysOnlyItsOwnAlarms() throws Exception {
        super.aRateLimitedWebhookDelaysOnlyItsOwnAlarms();
    }

    @Override
    @Tag("slow")
    @Test
    void deliveryOutlivesAFailingProgressWriteAndATornProgressFileResendsOnlyWhatTheOutboxHolds() throws Exception {
        super.deliveryOutlivesAFailingProgressWriteAndATornProgressFileResendsOnlyWhatTheOutboxHolds();
    }

    @Tag("slow")
    @Test
    void hugeMalformedRecordsAreQuarantinedWhereTheyAreReadNeverCollectedToTheDriver() throws Exception {
        putRule(new Rule("h1", "load", 10, hook("huge"), Operator.GREATER, 0, false));
        java.util.Random random = new java.util.Random(7);
        List<Map.Entry<String, String>> records = new ArrayList<>();
        for (int i = 0; i < 80; i++) {
            byte[] noise = new byte[675_000];
            random.nextBytes(noise);
            records.add(Map.entry("load", java.util.Base64.getEncoder().encodeToString(noise)));
        }
        kafka.sendKeyed(metricsTopic, records);
        metrics("load", 11);
        // 80 records of 900 KB that do not compress, in one batch: 72 MB (54 MB compressed as Spark collects), above this
        // JVM's spark.driver.maxResultSize of 32 MB (the parent pom).
        Future<Integer> job = startAlarms();
        await().atMost(Duration.ofSeconds(120)).until(() -> descriptions("huge").size() == 1 || job.isDone());
        assertFalse(job.isDone(), "the job runs on");
        org.apache.spark.sql.Dataset<Row> quarantine = spark().read().format("delta").load(alarmsPath() + "_quarantine");
        assertEquals(80, quarantine.count());
        assertEquals(80, quarantine.where("length(value) = 900000 AND reason LIKE 'not JSON%'").count(), "each kept whole, with its reason");
        assertEquals(0, stopAlarms(job));
    }
}
