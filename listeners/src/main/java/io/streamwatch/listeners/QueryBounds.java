package io.streamwatch.listeners;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.apache.spark.network.util.JavaUtils;

/**
 * What each query is held to, so that one rule set serves a 2 s query and a 10-minute batch alike: the application's
 * bounds ({@code spark.streamwatch.sla}, {@code .firstBatch}, {@code .maxLag}) and a query's own
 * ({@code spark.streamwatch.query.<query name>.sla} and so on), which win. The health listener pushes each running
 * query's bounds as series beside {@code streamwatch_query_up}; the rules compare against them and use the
 * alerting properties' defaults where a query pushes none.
 *
 * @param application the bounds of every query that sets none of its own
 * @param perQuery each named query's own bounds
 */
public record QueryBounds(Map<Bound, Duration> application, Map<String, Map<Bound, Duration>> perQuery) {
    /** One kind of bound: its key suffix and the series it is pushed as. */
    public enum Bound {
        SLA("sla", QueryHealthListener.SLA_SECONDS, "The query's SLA: the longest a micro-batch may take."),
        FIRST_BATCH("firstBatch", QueryHealthListener.FIRST_BATCH_SECONDS,
                "The longest the first micro-batch of a run (cold JVM, planning, restored state) may take."),
        MAX_LAG("maxLag", QueryHealthListener.MAX_LAG_SECONDS,
                "The longest an unprocessed Kafka record or Delta commit may wait for the query.");

        final String key;
        final String metric;
        final String help;

        Bound(String key, String metric, String help) {
            this.key = key;
            this.metric = metric;
            this.help = help;
        }

        static Bound ofKey(String key) {
            for (Bound bound : values()) {
                if (bound.key.equals(key)) {
                    return bound;
                }
            }
            return null;
        }
    }

    public static final QueryBounds NONE = new QueryBounds(Map.of(), Map.of());
    static final String QUERY_PREFIX = StreamwatchSettings.PREFIX + "query.";

    public QueryBounds {
        application = application.isEmpty() ? Map.of() : Map.copyOf(application);
        Map<String, Map<Bound, Duration>> copy = new HashMap<>();
        perQuery.forEach((name, bounds) -> copy.put(name, Map.copyOf(bounds)));
        perQuery = Map.copyOf(copy);
    }

    /**
     * The bounds from the Spark configuration's {@code spark.streamwatch.{sla,firstBatch,maxLag}} and
     * {@code spark.streamwatch.query.<name>.*}; {@code invalid} hears of each key whose value is not a positive duration
     * ({@code 30s}, {@code 10min}; a bare number is milliseconds, as everywhere in Spark) or whose kind is unknown.
     */
    static QueryBounds from(Map<String, String> settings, BiConsumer<String, String> invalid) {
        Map<Bound, Duration> application = new EnumMap<>(Bound.class);
        Map<String, Map<Bound, Duration>> perQuery = new HashMap<>();
        settings.forEach((key, text) -> {
            if (key.startsWith(QUERY_PREFIX)) {
                String rest = key.substring(QUERY_PREFIX.length());
                int dot = rest.lastIndexOf('.');
                Bound bound = dot > 0 ? Bound.ofKey(rest.substring(dot + 1)) : null;
                if (bound == null) {
                    invalid.accept(key, "not a query bound (" + QUERY_PREFIX + "<query name>.sla, .firstBatch or .maxLag)");
                    return;
                }
                parse(key, text, invalid, duration -> perQuery.computeIfAbsent(rest.substring(0, dot), n -> new EnumMap<>(Bound.class))
                        .put(bound, duration));
            } else {
                Bound bound = Bound.ofKey(key.substring(StreamwatchSettings.PREFIX.length()));
                if (bound != null) {
                    parse(key, text, invalid, duration -> application.put(bound, duration));
                }
            }
        });
        return new QueryBounds(application, perQuery);
    }

    private static void parse(String key, String text, BiConsumer<String, String> invalid, Consumer<Duration> bound) {
        try {
            Duration duration = Duration.ofMillis(JavaUtils.timeStringAsMs(text.trim()));
            if (duration.isZero() || duration.isNegative()) {
                invalid.accept(key, "not a positive duration");
                return;
            }
            bound.accept(duration);
        } catch (RuntimeException e) {
            invalid.accept(key, "not a duration (e.g. 30s, 10min)");
        }
    }

    /** The bounds of the query of that name (null or blank: the application's alone). */
    public Map<Bound, Duration> of(String queryName) {
        Map<Bound, Duration> bounds = new EnumMap<>(Bound.class);
        bounds.putAll(application);
        if (queryName != null) {
            bounds.putAll(perQuery.getOrDefault(queryName, Map.of()));
        }
        return bounds;
    }

    /** The query's bounds as the series the rules compare against. */
    List<MetricSample> samples(String queryName) {
        List<MetricSample> samples = new ArrayList<>();
        of(queryName).forEach((bound, duration) -> samples.add(MetricSample.of(bound.metric, bound.help, duration.toMillis() / 1000.0)));
        return samples;
    }
}
