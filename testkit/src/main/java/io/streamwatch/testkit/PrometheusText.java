package io.streamwatch.testkit;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

/** A parsed page in Prometheus' text exposition format, as the Pushgateway serves on /metrics. */
public final class PrometheusText {
    /** One line of the page: a metric name, its labels and its value. */
    public record Sample(String name, Map<String, String> labels, double value) {
        public boolean matches(String metric, Map<String, String> wanted) {
            return name.equals(metric) && labels.entrySet().containsAll(wanted.entrySet());
        }
    }

    private final List<Sample> samples = new ArrayList<>();

    public PrometheusText(String page) {
        for (String line : page.split("\n")) {
            if (!line.isBlank() && !line.startsWith("#")) {
                samples.add(parse(line.trim()));
            }
        }
    }

    public List<Sample> samples() {
        return samples;
    }

    /** The value of the one series of {@code metric} whose labels include {@code labels}. */
    public OptionalDouble value(String metric, Map<String, String> labels) {
        List<Sample> found = samples.stream().filter(s -> s.matches(metric, labels)).toList();
        if (found.size() > 1) {
            throw new IllegalStateException(found.size() + " series of " + metric + labels + ": " + found);
        }
        return found.isEmpty() ? OptionalDouble.empty() : OptionalDouble.of(found.get(0).value());
    }

    private static Sample parse(String line) {
        int brace = line.indexOf('{');
        int space = line.lastIndexOf(' ');
        if (brace < 0 || brace > space) {
            return new Sample(line.substring(0, space), Map.of(), number(line.substring(space + 1)));
        }
        int close = line.lastIndexOf('}');
        Map<String, String> labels = new LinkedHashMap<>();
        String body = line.substring(brace + 1, close);
        int i = 0;
        while (i < body.length()) {
            int eq = body.indexOf('=', i);
            String key = body.substring(i, eq).trim();
            StringBuilder value = new StringBuilder();
            int j = eq + 2;
            while (body.charAt(j) != '"') {
                char c = body.charAt(j);
                if (c == '\\') {
                    char next = body.charAt(++j);
                    value.append(next == 'n' ? '\n' : next);
                } else {
                    value.append(c);
                }
                j++;
            }
            labels.put(key, value.toString());
            i = j + 1;
            if (i < body.length() && body.charAt(i) == ',') {
                i++;
            }
        }
        return new Sample(line.substring(0, brace), labels,
                number(line.substring(close + 1).trim()));
    }

    /** A sample value as the exposition format writes it, {@code +Inf}, {@code -Inf} and {@code NaN} included. */
    static double number(String text) {
        String value = text.trim();
        int space = value.indexOf(' ');
        if (space > 0) {
            value = value.substring(0, space);
        }
        return switch (value) {
            case "+Inf", "Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            case "NaN" -> Double.NaN;
            default -> Double.parseDouble(value);
        };
    }
}
