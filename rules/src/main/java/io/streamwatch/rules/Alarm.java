package io.streamwatch.rules;

import java.io.Serializable;
import java.util.Locale;

/**
 * One alarm: a metric record that matched a rule (firing), or the first that stopped matching a rule asking for
 * it (resolved); with the record's Kafka coordinates, which make it unique per rule.
 */
public record Alarm(String ruleId, String metricName, double value, double threshold, Operator operator, State state,
                    long metricTimestampMillis, String topic, int partition, long offset) implements Serializable {
    public enum State {
        FIRING, RESOLVED;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static State of(String label) {
            return valueOf(label.toUpperCase(Locale.ROOT));
        }
    }

    /** "cpu is 95 which exceeds the rule threshold (90)", or for a resolved alarm "cpu is 85, no longer above ...". */
    public String sentence() {
        String base = metricName + " is " + Rule.format(value);
        return state == State.FIRING
                ? base + " which " + operator.verb() + " the rule threshold (" + Rule.format(threshold) + ")"
                : base + ": the rule threshold (" + operator.symbol() + " " + Rule.format(threshold) + ") is no longer met";
    }
}
