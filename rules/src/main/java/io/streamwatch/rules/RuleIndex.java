package io.streamwatch.rules;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The rules by metric name: a metric finds its rules in one lookup, never by a scan of all
 * rules. Immutable, so a micro-batch matches against one consistent set; serializable, to ship to executors.
 */
public final class RuleIndex implements Serializable {
    public static final RuleIndex EMPTY = new RuleIndex(Map.of(), 0, false);
    private final Map<String, List<Rule>> byMetricName;
    private final int size;
    private final boolean anyStateful;

    private RuleIndex(Map<String, List<Rule>> byMetricName, int size, boolean anyStateful) {
        this.byMetricName = byMetricName;
        this.size = size;
        this.anyStateful = anyStateful;
    }

    public static RuleIndex of(Collection<Rule> rules) {
        Map<String, List<Rule>> byMetricName = new HashMap<>();
        for (Rule rule : rules) {
            byMetricName.computeIfAbsent(rule.metricName(), name -> new ArrayList<>()).add(rule);
        }
        byMetricName.replaceAll((name, list) -> List.copyOf(list));
        return new RuleIndex(Map.copyOf(byMetricName), rules.size(), rules.stream().anyMatch(Rule::isStateful));
    }

    public List<Rule> rulesFor(String metricName) {
        return byMetricName.getOrDefault(metricName, List.of());
    }

    /** Whether some rule has a cooldown or sends resolved messages. */
    public boolean hasStatefulRules() {
        return anyStateful;
    }

    public int size() {
        return size;
    }
}
