package io.streamwatch.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Debian's {@code prometheus} as a real process on a loopback port, with a config file and a fresh TSDB. */
public final class LocalPrometheus extends ExternalProcess {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final int port;

    private LocalPrometheus(int port, Path config, Path workDir) {
        super("prometheus-" + port, List.of("prometheus",
                "--config.file=" + config,
                "--web.listen-address=127.0.0.1:" + port,
                "--storage.tsdb.path=" + workDir.resolve("tsdb-" + port),
                "--log.level=warn"), workDir);
        this.port = port;
        awaitReady(() -> Http.get(url() + "/-/ready").isPresent(), Duration.ofSeconds(30));
    }

    /** Starts Prometheus with {@code config}; pass the port the config's own URLs use, or {@link FreePorts#next()}. */
    public static LocalPrometheus start(int port, Path config, Path workDir) {
        return new LocalPrometheus(port, config, workDir);
    }

    /**
     * Prometheus scraping one Pushgateway every second, as the stack's does ({@code honor_labels}), without rules:
     * for a test that only needs what the jobs pushed, kept over time.
     */
    public static LocalPrometheus scraping(String pushgatewayAddress, Path workDir) {
        return scraping("pushgateway", pushgatewayAddress, workDir);
    }

    /** Prometheus scraping one target (a Pushgateway, a driver's /metrics) every second under this job, with {@code honor_labels}. */
    public static LocalPrometheus scraping(String jobName, String target, Path workDir) {
        Path config = workDir.resolve("prometheus-scraping-" + System.nanoTime() + ".yml");
        try {
            Files.createDirectories(workDir);
            Files.writeString(config, String.join("\n",
                    "global:",
                    "  scrape_interval: 1s",
                    "scrape_configs:",
                    "  - job_name: " + jobName,
                    "    honor_labels: true",
                    "    static_configs:",
                    "      - targets: [\"" + target + "\"]", ""));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return start(FreePorts.next(), config, workDir);
    }

    public String url() {
        return "http://127.0.0.1:" + port;
    }

    /** An instant query's result vector (each element: metric labels and value). */
    public List<JsonNode> query(String promql) {
        JsonNode response = api("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
        if (!"success".equals(response.path("status").asText())) {
            throw new IllegalStateException("query failed: " + promql + ": " + response);
        }
        List<JsonNode> result = new ArrayList<>();
        response.path("data").path("result").forEach(result::add);
        return result;
    }

    /** A range query's result matrix (each element: metric labels and {@code values}, [seconds, "value"] pairs). */
    public List<JsonNode> queryRange(String promql, long startMillis, long endMillis, Duration step) {
        JsonNode response = api("/api/v1/query_range?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8)
                + "&start=" + startMillis / 1000.0 + "&end=" + endMillis / 1000.0 + "&step=" + step.toMillis() / 1000.0);
        if (!"success".equals(response.path("status").asText())) {
            throw new IllegalStateException("range query failed: " + promql + ": " + response);
        }
        List<JsonNode> result = new ArrayList<>();
        response.path("data").path("result").forEach(result::add);
        return result;
    }

    /** The single value of an instant query, empty when it returns nothing. */
    public Optional<Double> value(String promql) {
        List<JsonNode> result = query(promql);
        if (result.size() > 1) {
            throw new IllegalStateException(promql + " returned " + result.size() + " series: " + result);
        }
        return result.isEmpty() ? Optional.empty() : Optional.of(result.get(0).path("value").get(1).asDouble());
    }

    /** The state of an alert ("pending" or "firing"), or "inactive" when Prometheus holds none of that name. */
    public String alertState(String alertName) {
        for (JsonNode alert : api("/api/v1/alerts").path("data").path("alerts")) {
            if (alertName.equals(alert.path("labels").path("alertname").asText())) {
                return alert.path("state").asText();
            }
        }
        return "inactive";
    }

    /** Whether Prometheus scrapes the target up. */
    public boolean targetsUp() {
        JsonNode targets = api("/api/v1/targets").path("data").path("activeTargets");
        if (targets.isEmpty()) {
            return false;
        }
        for (JsonNode target : targets) {
            if (!"up".equals(target.path("health").asText())) {
                return false;
            }
        }
        return true;
    }

    /** Whether Prometheus has discovered an Alertmanager to send to. */
    public boolean alertmanagerDiscovered() {
        return !api("/api/v1/alertmanagers").path("data").path("activeAlertmanagers").isEmpty();
    }

    private JsonNode api(String path) {
        String body = Http.get(url() + path).orElseThrow(() -> new IllegalStateException("no answer from " + url() + path));
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
