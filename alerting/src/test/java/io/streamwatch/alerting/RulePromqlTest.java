package io.streamwatch.alerting;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamwatch.listeners.MetricSample;
import io.streamwatch.listeners.PushGroup;
import io.streamwatch.listeners.PushgatewayPublisher;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * Each rule's PromQL (the Grafana copy's query A, the same expression as the Prometheus rule's, taken from the fast
 * profile's rendering), run by a real Prometheus over values pushed to a real Pushgateway as the listeners push them:
 * the series it returns are the ones that violate (Prometheus labels them as the Pushgateway exposes them, instance
 * and all).
 */
class RulePromqlTest {
    @TempDir
    static Path dir;
    static LocalAlertingStack stack;
    static PushgatewayPublisher publisher;
    /** uid -> the rule's PromQL. */
    static Map<String, String> rules;

    @BeforeAll
    @SuppressWarnings("unchecked")
    static void start() throws Exception {
        stack = new LocalAlertingStack(dir);
        publisher = new PushgatewayPublisher(stack.pushgateway.address());
        rules = new LinkedHashMap<>();
        for (String file : List.of("rules.yml", "rules-visits.yml", "rules-companions.yml")) {
            Map<String, Object> provisioning = new Yaml().load(Files.readString(dir.resolve("config/grafana-provisioning/alerting/" + file)));
            for (Map<String, Object> group : (List<Map<String, Object>>) provisioning.get("groups")) {
                for (Map<String, Object> rule : (List<Map<String, Object>>) group.get("rules")) {
                    List<Map<String, Object>> data = (List<Map<String, Object>>) rule.get("data");
                    rules.put((String) rule.get("uid"), (String) ((Map<String, Object>) data.get(0).get("model")).get("expr"));
                }
            }
        }
    }

    @AfterAll
    static void stop() {
        publisher.close();
        stack.close();
    }

    private static void push(PushGroup group, MetricSample... samples) {
        publisher.publish(group, () -> List.of(samples));
        assertTrue(publisher.flush(Duration.ofSeconds(10)));
    }

    /** Waits until Prometheus has scraped the pushed state: the rule's violators among {@code queries} are {@code expected}. */
    private static void assertViolators(String uid, Set<String> queries, Set<String> expected) {
        String expr = rules.get(uid);
        try {
            await().atMost(Duration.ofSeconds(15)).until(() -> violators(expr, queries), expected::equals);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError(uid + ": expected " + expected + ", got " + violators(expr, queries) + " from " + expr, e);
        }
    }

    private static Set<String> violators(String promql, Set<String> queries) {
        return stack.prometheus.query(promql).stream().map(series -> series.path("metric").path("query").asText())
                .filter(queries::contains).collect(Collectors.toCollection(TreeSet::new));
    }

    private static MetricSample sample(String name, double value) {
        return MetricSample.of(name, name, value);
    }

    @Test
    void visitsLagAndNoLag() {
        Map<String, String> table = Map.of("table", "file:/data/visits");
        PushGroup writer = new PushGroup("visits_writer", table);
        PushGroup reader = new PushGroup("visits_reader", Map.of("query", "visits_consumer"));
        Set<String> consumer = Set.of("visits_consumer");
        push(writer, new MetricSample("visits_writer_version", "w", Map.of(), 6));
        push(reader, new MetricSample("visits_reader_version", "r", table, 3), new MetricSample("visits_reader_lag_seconds", "s", table, 500));
        assertViolators("visits-consumer-lag", consumer, consumer);
        assertViolators("visits-consumer-lag-seconds", consumer, consumer);

        push(reader, new MetricSample("visits_reader_version", "r", table, 6), new MetricSample("visits_reader_lag_seconds", "s", table, 0));
        assertViolators("visits-consumer-lag", consumer, Set.of());
        assertViolators("visits-consumer-lag-seconds", consumer, Set.of());
    }

    /** Two queries with the same 5 s batches and SLAs of 2 s and 30 s: one violates; one that pushes no SLA: the default (3 s). */
    @Test
    void eachQueryIsHeldToItsOwnSlaOrTheDefault() {
        Set<String> queries = Set.of("tight", "loose", "unbounded");
        push(new PushGroup("streamwatch", Map.of("query", "tight", "query_id", "t1")), sample("streamwatch_batch_duration_seconds", 5),
                sample("streamwatch_batch_first_of_run", 0), sample("streamwatch_query_sla_seconds", 2));
        push(new PushGroup("streamwatch", Map.of("query", "loose", "query_id", "l1")), sample("streamwatch_batch_duration_seconds", 5),
                sample("streamwatch_batch_first_of_run", 0), sample("streamwatch_query_sla_seconds", 30));
        push(new PushGroup("etl", Map.of("query", "unbounded", "query_id", "u1")), sample("streamwatch_batch_duration_seconds", 5),
                sample("streamwatch_batch_first_of_run", 0));
        assertViolators("streamwatch-sla-miss", queries, Set.of("tight", "unbounded"));
    }

    @Test
    void lagInSecondsAgainstEachQuerysBound() {
        Set<String> queries = Set.of("kafka_tight", "kafka_loose", "delta_default");
        push(new PushGroup("streamwatch", Map.of("query", "kafka_tight", "query_id", "k1")), sample("streamwatch_query_max_lag_seconds", 30),
                new MetricSample("streamwatch_kafka_lag_seconds", "s", Map.of("topic", "orders", "partition", "0"), 45),
                new MetricSample("streamwatch_kafka_lag_seconds", "s", Map.of("topic", "orders", "partition", "1"), 5));
        push(new PushGroup("streamwatch", Map.of("query", "kafka_loose", "query_id", "k2")), sample("streamwatch_query_max_lag_seconds", 600),
                new MetricSample("streamwatch_kafka_lag_seconds", "s", Map.of("topic", "orders", "partition", "0"), 45));
        push(new PushGroup("streamwatch", Map.of("query", "delta_default", "query_id", "d1")),
                new MetricSample("streamwatch_delta_reader_lag_seconds", "s", Map.of("table", "s3a://b/t"), 90));
        assertViolators("streamwatch-kafka-lag", queries, Set.of("kafka_tight"));
        assertViolators("streamwatch-delta-lag", queries, Set.of("delta_default"));
    }

    @Test
    void stallDownAndFresh() {
        Set<String> query = Set.of("synchronizer");
        PushGroup group = new PushGroup("visits_to_delta_synchronizer", Map.of("query", "synchronizer"));
        push(group, sample("visits_sync_duration", 4_500), sample("streamwatch_query_running_batch_seconds", 20),
                sample("streamwatch_query_warming_up", 0), sample("streamwatch_query_up", 1));
        assertViolators("sla-miss-visits-synchronizer", query, query);
        assertViolators("streamwatch-batch-stalled", query, query);
        assertViolators("streamwatch-query-down", query, Set.of());
        assertViolators("streamwatch-metrics-stale", query, Set.of());

        push(group, sample("visits_sync_duration", 400), sample("streamwatch_query_running_batch_seconds", 0),
                sample("streamwatch_query_warming_up", 0), sample("streamwatch_query_up", 0));
        assertViolators("sla-miss-visits-synchronizer", query, Set.of());
        assertViolators("streamwatch-batch-stalled", query, Set.of());
        assertViolators("streamwatch-query-down", query, query);
    }

    /** A redeploy's cold first batch: no SLA miss; a stall only past its first-batch bound (20 s in the fast profile). */
    @Test
    void aRunsFirstBatchIsHeldToItsOwnBound() {
        Set<String> query = Set.of("redeployed");
        PushGroup group = new PushGroup("streamwatch", Map.of("query", "redeployed", "query_id", "c3"));
        double firstBatchSeconds = Double.parseDouble(stack.config.value("first_batch_seconds"));
        try {
            push(group, sample("streamwatch_batch_duration_seconds", 8), sample("streamwatch_batch_first_of_run", 1),
                    sample("streamwatch_query_running_batch_seconds", firstBatchSeconds - 5), sample("streamwatch_query_warming_up", 1));
            await().atMost(Duration.ofSeconds(15)).until(() -> violators("streamwatch_query_warming_up == 1", query), query::equals);
            assertViolators("streamwatch-sla-miss", query, Set.of());
            assertViolators("streamwatch-batch-stalled", query, Set.of());
            assertViolators("streamwatch-first-batch-stalled", query, Set.of());

            push(group, sample("streamwatch_batch_duration_seconds", 8), sample("streamwatch_batch_first_of_run", 1),
                    sample("streamwatch_query_running_batch_seconds", firstBatchSeconds + 5), sample("streamwatch_query_warming_up", 1));
            assertViolators("streamwatch-first-batch-stalled", query, query);
            assertViolators("streamwatch-batch-stalled", query, Set.of());

            push(group, sample("streamwatch_batch_duration_seconds", 8), sample("streamwatch_batch_first_of_run", 0),
                    sample("streamwatch_query_running_batch_seconds", 0), sample("streamwatch_query_warming_up", 0));
            assertViolators("streamwatch-sla-miss", query, query);
            assertViolators("streamwatch-first-batch-stalled", query, Set.of());
        } finally {
            publisher.remove(group);
            assertTrue(publisher.flush(Duration.ofSeconds(10)));
            await().atMost(Duration.ofSeconds(15)).until(() -> violators("streamwatch_query_warming_up", query).isEmpty());
        }
    }
}
