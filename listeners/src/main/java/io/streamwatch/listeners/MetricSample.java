package io.streamwatch.listeners;

import java.util.Map;

/** One gauge value to push: a metric name, its help text, its labels (besides the grouping key) and the value. */
public record MetricSample(String name, String help, Map<String, String> labels, double value) {
    public static MetricSample of(String name, String help, double value) {
        return new MetricSample(name, help, Map.of(), value);
    }
}
