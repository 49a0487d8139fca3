package io.streamwatch.testkit;

import java.util.Arrays;
import java.util.List;

/** Percentiles of measured durations, printed as benchmark figures (every benchmark prints through it). */
public final class Figures {
    private Figures() {
    }

    public static double percentile(List<Long> nanos, double p) {
        long[] sorted = nanos.stream().mapToLong(Long::longValue).sorted().toArray();
        int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    public static double median(List<Long> nanos) {
        return percentile(nanos, 50);
    }

    public static String micros(double nanos) {
        return String.format("%.1f us", nanos / 1_000);
    }

    public static String millis(double nanos) {
        return String.format("%.3f ms", nanos / 1_000_000);
    }

    public static void print(String title, String... rows) {
        System.out.println();
        System.out.println("BENCHMARK " + title);
        Arrays.stream(rows).forEach(row -> System.out.println("  " + row));
    }
}
