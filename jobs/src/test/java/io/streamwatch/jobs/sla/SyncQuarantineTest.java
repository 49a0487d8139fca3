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

    /** Timestamp spellings: ISO-8601 and near misses, in and out of range, with every zone form. */
    static List<String> timestampSpellings() {
        List<String> dates = List.of("2024-05-01", "0001-01-01", "9999-12-31", "1969-12-31", "2024-02-29", "2023-02-29", "2024-13-01",
                "+10000-01-01", "-0001-01-01", "0000-01-01", "1582-10-10");
        List<String> times = List.of("T10:00", "T10:00:00", "T10:00:00.1", "T10:00:00.123", "T10:00:00.123456", "T10:00:00.1234567",
                "T10:00:00.123456789", "T23:59:60", "T24:00:00", "t10:00:00", " 10:00:00");
        List<String> zones = List.of("Z", "z", "+00:00", "-00:00", "+01:00", "+0100", "+01", "+18:00", "-18:00", "+19:00", "+05:30:15", "",
                "+01:00[Europe/Paris]");
        List<String> spellings = new java.util.ArrayList<>();
        for (String date : dates) {
            for (String time : times) {
                for (String zone : zones) {
                    spellings.add(date + time + zone);
                }
            }
        }
        return spellings;
    }

    @Test
    void noTimestampSpellingWedgesTheSynchronizerAndAValidRowHoldsTheInstantItSpells() {
        topic = "spellings_" + System.nanoTime();
        kafka.createTopic(topic, 2);
        List<String> spellings = timestampSpellings();
        List<String> records = new java.util.ArrayList<>();
        Map<String, String> spelled = new java.util.HashMap<>();
        for (int i = 0; i < spellings.size(); i++) {
            String at = spellings.get(i);
            records.add("{\"visit_id\": \"e" + i + "\", \"event_time\": \"" + at + "\", \"user_id\": \"u\", \"page\": \"p\"}");
            records.add("{\"visit_id\": \"c" + i + "\", \"event_time\": \"2024-05-01T10:00:00Z\", \"user_id\": \"u\", \"page\": \"p\","
                    + " \"context\": {\"user\": {\"connected_since\": \"" + at + "\"}}}");
            spelled.put("e" + i, at);
            spelled.put("c" + i, at);
        }
        kafka.send(topic, records);

        assertEquals(0, sync("--available-now", "--max-offsets-per-trigger", "100000"), "no spelling fails a batch");

        List<Row> valid = spark().read().format("delta").load(tablePath())
                .selectExpr("visit_id", "event_time", "context.user.connected_since AS connected_since").collectAsList();
        long quarantined = rows(quarantinePath());
        assertEquals(records.size(), valid.size() + quarantined, "every record is a row or quarantined");
        List<String> wrong = new java.util.ArrayList<>();
        for (Row row : valid) {
            String id = row.getString(0);
            java.sql.Timestamp read = id.startsWith("e") ? row.getTimestamp(1) : row.getTimestamp(2);
            java.time.Instant expected = java.time.OffsetDateTime.parse(spelled.get(id)).toInstant().truncatedTo(java.time.temporal.ChronoUnit.MICROS);
            if (read == null || !read.toInstant().equals(expected)) {
                wrong.add(spelled.get(id) + " -> " + (read == null ? "null" : read.toInstant()) + ", not " + expected);
            }
        }
        assertEquals(List.of(), wrong, "a valid row holds the instant its text spells");
        assertTrue(valid.size() > 100 && quarantined > 100, valid.size() + " valid, " + quarantined + " quarantined");
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
