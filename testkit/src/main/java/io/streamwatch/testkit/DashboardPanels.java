package io.streamwatch.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The provisioned Grafana dashboards ({@code grafana-provisioning/dashboards/*.json}: any pipeline, the visits demo, the
 * companion systems) checked against a real Prometheus: a scenario's test names the panel it feeds, and every query of
 * that panel must return data over the time the scenario ran, with the dashboard's variables at "All" ({@code $job} and
 * {@code $query} as {@code .*}). Grafana itself is not needed: its panels only send these queries.
 */
public final class DashboardPanels {
    public static final List<String> FILES = List.of("grafana-provisioning/dashboards/streamwatch.json",
            "grafana-provisioning/dashboards/visits.json", "grafana-provisioning/dashboards/companions.json");

    private DashboardPanels() {
    }

    /** The queries of each panel by title, in the dashboard's order (a panel without queries, e.g. an alert list, has none). */
    public static Map<String, List<String>> queries() {
        Map<String, List<String>> panels = new LinkedHashMap<>();
        for (String file : FILES) {
            for (JsonNode panel : read(file).path("panels")) {
                List<String> exprs = new ArrayList<>();
                panel.path("targets").forEach(target -> exprs.add(allValues(target.path("expr").asText())));
                if (panels.put(panel.path("title").asText(), exprs) != null) {
                    throw new IllegalStateException("two panels titled '" + panel.path("title").asText() + "'");
                }
            }
        }
        return panels;
    }

    /** A panel's query as Grafana sends it with every variable at "All". */
    static String allValues(String expr) {
        return expr.replace("$job", ".*").replace("$query", ".*");
    }

    /**
     * Fails unless every query of the panel returns at least one sample from {@code startMillis} on (1 s steps) within
     * 15 s (Prometheus scrapes each second), naming the queries that returned nothing.
     */
    public static void assertHasData(LocalPrometheus prometheus, String title, long startMillis) {
        List<String> exprs = queries().get(title);
        if (exprs == null || exprs.isEmpty()) {
            throw new AssertionError("the dashboard has no panel '" + title + "' with queries: " + queries().keySet());
        }
        long deadline = System.currentTimeMillis() + 15_000;
        List<String> empty = withoutData(prometheus, exprs, startMillis);
        while (!empty.isEmpty() && System.currentTimeMillis() < deadline) {
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
            empty = withoutData(prometheus, empty, startMillis);
        }
        if (!empty.isEmpty()) {
            throw new AssertionError("panel '" + title + "': no data over the scenario for " + empty);
        }
    }

    private static List<String> withoutData(LocalPrometheus prometheus, List<String> exprs, long startMillis) {
        List<String> empty = new ArrayList<>();
        for (String expr : exprs) {
            boolean data = prometheus.queryRange(expr, startMillis, System.currentTimeMillis(), Duration.ofSeconds(1)).stream()
                    .anyMatch(series -> series.path("values").size() > 0);
            if (!data) {
                empty.add(expr);
            }
        }
        return empty;
    }

    private static JsonNode read(String name) {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path file = dir.resolve(name);
            if (Files.exists(file)) {
                try {
                    return new ObjectMapper().readTree(file.toFile());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
        throw new IllegalStateException("no " + name + " above " + Path.of("").toAbsolutePath());
    }
}
