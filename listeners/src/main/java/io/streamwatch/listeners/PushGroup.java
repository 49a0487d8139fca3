package io.streamwatch.listeners;

import java.util.Map;

/**
 * A Pushgateway grouping key: the job plus further labels (the query name for listeners, the table for the
 * writer). Each group is replaced as a whole on every push, so two groups never overwrite each other.
 */
public record PushGroup(String job, Map<String, String> labels) {
    public PushGroup {
        labels = Map.copyOf(labels);
    }

    @Override
    public String toString() {
        return "job=" + job + (labels.isEmpty() ? "" : "," + labels);
    }
}
