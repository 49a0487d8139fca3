package io.streamwatch.jobs.bench;

import io.streamwatch.rules.Operator;
import io.streamwatch.rules.Rule;
import io.streamwatch.rules.RuleIndex;
import io.streamwatch.testkit.Figures;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Figures for the README: matching 10,000 rules over 1,000 metric names by index against the seed's loop over all
 * rules, in one run (the latency of the whole job: {@link AlarmLatencyBenchmark}).
 */
@Tag("benchmark")
class AlarmsBenchmark {
    static final int RULES = 10_000;
    static final int NAMES = 1_000;

    @TempDir
    Path dir;

    @Test
    void matchingByIndexAgainstTheSeedsLoop() {
        Random random = new Random(42);
        List<Rule> rules = new ArrayList<>();
        for (int i = 0; i < RULES; i++) {
            rules.add(new Rule("r" + i, "metric-" + random.nextInt(NAMES), random.nextInt(1000), "https://discord.com/api/webhooks/1/x",
                    Operator.GREATER, 0, false));
        }
        RuleIndex index = RuleIndex.of(rules);
        String[] names = new String[200_000];
        double[] values = new double[names.length];
        for (int i = 0; i < names.length; i++) {
            names[i] = "metric-" + random.nextInt(NAMES + NAMES / 10); // a tenth of the names have no rule
            values[i] = random.nextInt(1000);
        }
        long indexMatches = 0;
        long seedMatches = 0;
        for (int warmup = 0; warmup < 3; warmup++) {
            indexMatches = byIndex(index, names, values, names.length);
            seedMatches = seedLoop(rules, names, values, 2_000);
        }
        long start = System.nanoTime();
        indexMatches = byIndex(index, names, values, names.length);
        double indexNanos = System.nanoTime() - start;
        int seedCount = 20_000;
        start = System.nanoTime();
        seedMatches = seedLoop(rules, names, values, seedCount);
        double seedNanos = System.nanoTime() - start;
        long indexOnSeedRecords = byIndex(index, names, values, seedCount);
        double indexRate = names.length / (indexNanos / 1e9);
        double seedRate = seedCount / (seedNanos / 1e9);
        Figures.print("matching " + RULES + " rules over " + NAMES + " metric names (one JVM thread, same records)",
                String.format("%-28s %16s %14s", "", "metrics/s", "per metric"),
                String.format("%-28s %16.0f %14s", "index metric_name -> rules", indexRate, Figures.micros(indexNanos / names.length)),
                String.format("%-28s %16.0f %14s", "seed: loop over all rules", seedRate, Figures.micros(seedNanos / seedCount)),
                String.format("index / seed: %.0fx", indexRate / seedRate),
                "same alarms on the first " + seedCount + " records: " + (seedMatches == indexOnSeedRecords) + " (" + seedMatches
                        + " alarms); index over all " + names.length + " records: " + indexMatches + " alarms");
        if (seedMatches != indexOnSeedRecords) {
            throw new AssertionError("the index and the loop disagree");
        }
    }

    static long byIndex(RuleIndex index, String[] names, double[] values, int count) {
        long matches = 0;
        for (int i = 0; i < count; i++) {
            for (Rule rule : index.rulesFor(names[i])) {
                if (rule.matches(values[i])) {
                    matches++;
                }
            }
        }
        return matches;
    }

    static long seedLoop(List<Rule> rules, String[] names, double[] values, int count) {
        long matches = 0;
        for (int i = 0; i < count; i++) {
            for (Rule rule : rules) {
                if (names[i].equals(rule.metricName()) && values[i] > rule.threshold()) {
                    matches++;
                }
            }
        }
        return matches;
    }
}
