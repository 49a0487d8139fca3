package io.streamwatch.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamwatch.listeners.QueryHealthListener;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

class SyncQuarantineTest extends SyncTestSupport {

    @Test
    void validVisitsReachTheTableAndEveryMalformedRecordIsQuarantinedWithItsReason() {
        generate(200, 0.1);

        assertEquals(0, sync("--available-now"));

        assertEquals(180, rows(tablePath()));
        assertEquals(180, spark().read().format("delta").load(tablePath()).select("visit_id").distinct().count());
        List<Row> quarantined = spark().read().format("delta").load(quarantinePath()).collectAsList();
        assertEquals(20, quarantined.size());
        Map<String, Long> reasons = quarantined.stream().collect(Collectors.groupingBy(r -> r.getAs("reason"), Collectors.counting()));
        assertEquals(Map.of("not a JSON object", 7L, "fields of the wrong type", 7L, "missing required field visit_id", 6L), reasons);
        for (Row record : quarantined) {
            assertTrue(((String) record.getAs("raw_value")).startsWith("{"), "the raw value is kept: " + record);
            assertEquals(topic, record.getAs("topic"));
            assertTrue((Long) record.getAs("offset") >= 0);
        }
        long withContext = spark().read().format("delta").load(tablePath()).where("context IS NOT NULL").count();
        assertTrue(withContext > 100 && withContext < 180, "most visits have their optional context: " + withContext);
    }

    @Test
    void aQueryKilledByAnExceptionIsReportedDownAndItsRestartWritesEveryVisitExactlyOnce() {
        generate(300, 0.1);

        int failed = sync("--available-now", "--fail-in-batch", "2");

        assertEquals(Jobs.FAILED, failed);
        assertEquals(0, awaitValue(QueryHealthListener.UP, syncSeries(Map.of())));
        assertEquals(1, awaitValue(QueryHealthListener.FAILURE, syncSeries(Map.of("exception", "IllegalStateException"))));
        long beforeRestart = rows(tablePath());
        assertTrue(beforeRestart >= 100 && beforeRestart < 270, "batch 2 wrote its visits, then failed: " + beforeRestart);

        assertEquals(0, sync("--available-now"));

        assertEquals(270, rows(tablePath()));
        assertEquals(270, spark().read().format("delta").load(tablePath()).select("visit_id").distinct().count());
        assertEquals(30, rows(quarantinePath()));
        assertEquals(30, spark().read().format("delta").load(quarantinePath()).select("topic", "partition", "offset").distinct().count());
    }
}
