package io.streamwatch.jobs.sla;

import io.streamwatch.cli.Cli;
import io.streamwatch.jobs.KafkaPushgatewayAndSparkTest;
import io.streamwatch.jobs.common.Jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamwatch.listeners.QueryHealthListener;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

class SyncQuarantineTest extends KafkaPushgatewayAndSparkTest {

    @Test
    void validVisitsReachTheTableAndEveryMalformedRecordIsQuarantinedWithItsReason() {
        generate(200, 0.1);

        assertEquals(0, sync("--available-now"));

        assertEquals(180, rows(tablePath()));
        assertEquals(180, spark().read().format("delta").load(tablePath()).select("visit_id").distinct().count());
        List<Row> quarantined = spark().read().format("delta").load(quarantinePath()).collectAsList();
        assertEquals(20, quarantined.size());
        Map<String, Long> reasons = quarantined.stream().collect(Collectors.groupingBy(r -> r.getAs("reason"), Collectors.counting()));
        assertEquals(Map.of("not JSON", 7L, "field event_time must be an ISO-8601 timestamp with a zone, was 'yesterday'", 7L,
                "missing required field visit_id", 6L), reasons);
        for (Row record : quarantined) {
            assertTrue(((String) record.getAs("raw_value")).startsWith("{"), "the raw value is kept: " + record);
            assertEquals(topic, record.getAs("topic"));
            assertTrue((Long) record.getAs("offset") >= 0);
        }
        long withContext = spark().read().format("delta").load(tablePath()).where("context IS NOT NULL").count();
        assertTrue(withContext > 100 && withContext < 180, "most visits have their optional context: " + withContext);
    }

    @Test
    void strictValidationQuarantinesWhatSparksJsonReaderWouldQuietlyAccept() {
        topic = "strict_" + System.nanoTime();
        kafka.createTopic(topic, 1);
        String valid = "{\"visit_id\": \"v1\", \"event_time\": \"2024-05-01T10:00:00.123456Z\", \"user_id\": \"u1\", \"page\": \"index.html\","
                + " \"context\": {\"referral\": \"news\", \"user\": {\"ip\": \"1.2.3.4\", \"connected_since\": \"2024-05-01T09:00:00+02:00\"}}}";
        Map<String, String> refused = new java.util.LinkedHashMap<>();
        refused.put(visit("\"user_id\": 42"), "field user_id must be a string, was a number");
        refused.put(visit("\"page\": [\"x\"]"), "field page must be a string, was an array");
        refused.put(visit("\"page\": \"  \""), "field page must not be empty");
        refused.put(visit("\"visit_id\": \"\""), "field visit_id must not be empty");
        refused.put(visit("\"event_time\": \"2024-05-01T10:00:00\""), "field event_time must be an ISO-8601 timestamp with a zone, was '2024-05-01T10:00:00'");
        refused.put(visit("\"event_time\": \"2024-05-01 10:00:00Z\""), "field event_time must be an ISO-8601 timestamp with a zone, was '2024-05-01 10:00:00Z'");
        refused.put(visit("\"event_time\": 1714557600"), "field event_time must be a string, was a number");
        refused.put(visit("\"context\": {\"user\": {\"ip\": 5}}"), "field context.user.ip must be a string, was a number");
        refused.put(visit("\"context\": \"none\""), "field context must be an object, was a string");
        refused.put("[1, 2]", "not a JSON object");
        java.util.List<String> records = new java.util.ArrayList<>(refused.keySet());
        records.add(valid);
        kafka.send(topic, records);

        assertEquals(0, sync("--available-now"));

        assertEquals(1, rows(tablePath()));
        Map<String, String> reasons = spark().read().format("delta").load(quarantinePath()).collectAsList().stream()
                .collect(Collectors.toMap(r -> r.getAs("raw_value"), r -> r.getAs("reason")));
        assertEquals(refused, reasons);
    }

    /** A valid visit with one field replaced. */
    private static String visit(String field) {
        Map<String, String> fields = new java.util.LinkedHashMap<>(Map.of("visit_id", "\"visit_id\": \"v\"",
                "event_time", "\"event_time\": \"2024-05-01T10:00:00Z\"", "user_id", "\"user_id\": \"u\"", "page", "\"page\": \"p\""));
        String name = field.substring(1, field.indexOf('"', 1));
        fields.put(name, field);
        return "{" + String.join(", ", fields.values()) + "}";
    }

    @Test
    void aCatalogTablesQuarantineIsACatalogTableBesideIt() {
        generate(50, 0.1);
        String name = "visits_catalog_" + System.nanoTime() % 100_000;
        String[] args = syncArgs("--available-now");
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--path")) {
                args[i] = "--table";
                args[i + 1] = name;
            }
        }
        try {
            assertEquals(0, Jobs.execute(new SyncVisitsToDelta(), args));
            assertEquals(45, spark().table(name).count());
            assertEquals(5, spark().table(name + "_quarantine").count());
        } finally {
            spark().sql("DROP TABLE IF EXISTS " + name);
            spark().sql("DROP TABLE IF EXISTS " + name + "_quarantine");
        }
    }

    @Test
    void aQueryKilledByAnExceptionIsReportedDownAndItsRestartWritesEveryVisitExactlyOnce() {
        generate(300, 0.1);

        int failed = sync("--available-now", "--fail-in-batch", "2");

        assertEquals(Cli.FAILED, failed);
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
