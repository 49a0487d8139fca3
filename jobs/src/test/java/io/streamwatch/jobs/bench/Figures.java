package io.streamwatch.jobs.bench;

import java.util.Arrays;
import java.util.List;

/** Percentiles of measured durations, printed as benchmark figures. */
final class Figures {
    private Figures() {
    }

    static double percentile(List<Long> nanos, double p) {
        long[] sorted = nanos.stream().mapToLong(Long::longValue).sorted().toArray();
        int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    static double median(List<Long> nanos) {
        return percentile(nanos, 50);
    }

    static String micros(double nanos) {
        return String.format("%.1f us", nanos / 1_000);
    }

    static String millis(double nanos) {
        return String.format("%.3f ms", nanos / 1_000_000);
    }

    static void print(String title, String... rows) {
        System.out.println();
        System.out.println("BENCHMARK " + title);
        Arrays.stream(rows).forEach(row -> System.out.println("  " + row));
    }
}
