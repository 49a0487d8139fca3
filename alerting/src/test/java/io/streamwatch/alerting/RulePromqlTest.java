package io.streamwatch.alerting;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * Each Grafana rule's PromQL (its query A) and threshold (its condition C), taken from the provisioning file
 * (the fast profile's rendering: the same queries, smaller thresholds),
 * run by a real Prometheus over values pushed to a real Pushgateway as the jobs push them.
 */
class RulePromqlTest {
    @TempDir
    static Path dir;
    static LocalAlertingStack stack;
    static PushgatewayPublisher publisher;
    static Map<String, Rule> rules;

    /** A Grafana rule's query and threshold. */
    record Rule(String expr, String operator, double threshold) {
        boolean alerting(double value) {
            return operator.equals("gt") ? value > threshold : value < threshold;
        }
    }

    @BeforeAll
    @SuppressWarnings("unchecked")
    static void start() throws Exception {
        stack = new LocalAlertingStack(dir);
        publisher = new PushgatewayPublisher(stack.pushgateway.address());
        Map<String, Object> file = new Yaml().load(Files.readString(dir.resolve("config/grafana-provisioning/alerting/rules.yml")));
        rules = new LinkedHashMap<>();
        for (Map<String, Object> group : (List<Map<String, Object>>) file.get("groups")) {
            for (Map<String, Object> rule : (List<Map<String, Object>>) group.get("rules")) {
                List<Map<String, Object>> data = (List<Map<String, Object>>) rule.get("data");
                Map<String, Object> query = (Map<String, Object>) data.get(0).get("model");
                Map<String, Object> condition = (Map<String, Object>) data.get(2).get("model");
                Map<String, Object> evaluator = (Map<String, Object>) ((List<Map<String, Object>>) condition.get("conditions")).get(0).get("evaluator");
                rules.put((String) rule.get("uid"), new Rule((String) query.get("expr"), (String) evaluator.get("type"),
                        ((Number) ((List<?>) evaluator.get("params")).get(0)).doubleValue()));
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

    /** Waits until Prometheus has scraped the pushed state: the rule's query returns {@code expected}. */
    private static void assertRule(String uid, double expected, boolean alerting) {
        Rule rule = rules.get(uid);
        Optional<Double> value = await().atMost(Duration.ofSeconds(15))
                .until(() -> stack.prometheus.value(rule.expr()), v -> v.isPresent() && v.get() == expected);
        assertEquals(alerting, rule.alerting(value.orElseThrow()), uid + " at " + value);
    }

    @Test
    void lagAndNoLag() {
        Map<String, String> table = Map.of("table", "file:/data/visits");
        PushGroup writer = new PushGroup("visits_writer", table);
        PushGroup reader = new PushGroup("visits_reader", Map.of("query", "visits_consumer"));
        push(writer, new MetricSample("visits_writer_version", "w", Map.of(), 6));
        push(reader, new MetricSample("visits_reader_version", "r", table, 3), new MetricSample("visits_reader_lag_seconds", "s", table, 500));
        assertRule("visits-consumer-lag", 3, true);
        assertRule("visits-consumer-lag-seconds", 500, true);

        push(reader, new MetricSample("visits_reader_version", "r", table, 6), new MetricSample("visits_reader_lag_seconds", "s", table, 0));
        assertRule("visits-consumer-lag", 0, false);
        assertRule("visits-consumer-lag-seconds", 0, false);
    }

    @Test
    void slaAndNoSlaStallAndDown() {
        PushGroup query = new PushGroup("visits_to_delta_synchronizer", Map.of("query", "visits_to_delta_synchronizer"));
        push(query, MetricSample.of("visits_sync_duration", "d", 4_500), MetricSample.of("streamwatch_query_running_batch_seconds", "r", 20),
                MetricSample.of("streamwatch_query_up", "u", 1));
        assertRule("sla-miss-visits-synchronizer", 4_500, true);
        assertRule("visits-synchronizer-stalled", 20, true);
        assertRule("streaming-query-down", 1, false);
        double sinceLastPush = await().atMost(Duration.ofSeconds(15)).until(
                () -> stack.prometheus.value(rules.get("streamwatch-metrics-stale").expr()), Optional::isPresent).orElseThrow();
        assertTrue(sinceLastPush >= 0 && sinceLastPush < Double.parseDouble(stack.config.value("stale_seconds")), "a fresh push is not stale: " + sinceLastPush);

        push(query, MetricSample.of("visits_sync_duration", "d", 400), MetricSample.of("streamwatch_query_running_batch_seconds", "r", 0),
                MetricSample.of("streamwatch_query_up", "u", 0));
        assertRule("sla-miss-visits-synchronizer", 400, false);
        assertRule("visits-synchronizer-stalled", 0, false);
        assertRule("streaming-query-down", 0, true);
    }

    /** A redeploy's cold first batch: no SLA miss; a stall only past first_batch_seconds (20 s in the fast profile). */
    @Test
    void aRunsFirstBatchIsHeldToItsOwnBound() {
        PushGroup query = new PushGroup("streamwatch", Map.of("query", "redeployed", "query_id", "c3"));
        double firstBatchSeconds = Double.parseDouble(stack.config.value("first_batch_seconds"));
        try {
            push(query, MetricSample.of("streamwatch_batch_duration_seconds", "d", 8), MetricSample.of("streamwatch_batch_first_of_run", "f", 1),
                    MetricSample.of("streamwatch_query_running_batch_seconds", "r", firstBatchSeconds - 5),
                    MetricSample.of("streamwatch_query_warming_up", "w", 1));
            await().atMost(Duration.ofSeconds(15)).until(() -> redeployed("streamwatch_query_warming_up"), warming -> warming.equals(Optional.of(1.0)));
            assertEquals(Optional.empty(), redeployed(rules.get("sla-miss-visits-synchronizer").expr()), "a cold first batch is no SLA miss");
            assertEquals(Optional.empty(), redeployed(rules.get("visits-synchronizer-stalled").expr()), "a first batch within its bound");

            push(query, MetricSample.of("streamwatch_batch_duration_seconds", "d", 8), MetricSample.of("streamwatch_batch_first_of_run", "f", 1),
                    MetricSample.of("streamwatch_query_running_batch_seconds", "r", firstBatchSeconds + 5),
                    MetricSample.of("streamwatch_query_warming_up", "w", 1));
            Rule stall = rules.get("visits-synchronizer-stalled");
            assertTrue(stall.alerting(await().atMost(Duration.ofSeconds(15)).until(() -> redeployed(stall.expr()), Optional::isPresent).get()),
                    "a first batch past its bound is a stall");

            push(query, MetricSample.of("streamwatch_batch_duration_seconds", "d", 8), MetricSample.of("streamwatch_batch_first_of_run", "f", 0),
                    MetricSample.of("streamwatch_query_running_batch_seconds", "r", 0), MetricSample.of("streamwatch_query_warming_up", "w", 0));
            Rule sla = rules.get("sla-miss-visits-synchronizer");
            assertTrue(sla.alerting(await().atMost(Duration.ofSeconds(15)).until(() -> redeployed(sla.expr()), Optional::isPresent).get()),
                    "the next batch of 8 s misses the SLA");
        } finally {
            publisher.remove(query);
            assertTrue(publisher.flush(Duration.ofSeconds(10)));
            await().atMost(Duration.ofSeconds(15)).until(() -> redeployed("streamwatch_query_warming_up").isEmpty());
        }
    }

    /** The value of the query's series of the {@code redeployed} query (the other tests' series are not this test's). */
    private static Optional<Double> redeployed(String promql) {
        return stack.prometheus.query(promql).stream().filter(series -> series.path("metric").path("query").asText().equals("redeployed"))
                .map(series -> Double.parseDouble(series.path("value").get(1).asText())).findFirst();
    }
}
