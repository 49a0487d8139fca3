package io.streamwatch.listeners;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.List;
import java.util.Objects;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Every metric name the listener library pushes, under both namings: the catalog the documentation, the alert rules
 * and the dashboards are checked against. It is read from the code itself (each listener's public name constants and
 * {@link MetricNaming}), so a name added to a listener is in the catalog at once.
 */
public final class MetricCatalog {
    /** The classes whose public {@code String} constants name what they push. */
    private static final List<Class<?>> PUSHERS = List.of(BatchDurationListener.class, QueryHealthListener.class,
            QueryStatusListener.class, MonitoringHealthListener.class, KafkaLagListener.class, ReaderVersionListener.class,
            EventTimeListener.class, MetricNaming.class);

    private MetricCatalog() {
    }

    public static SortedSet<String> names() {
        SortedSet<String> names = new TreeSet<>();
        for (Class<?> pusher : PUSHERS) {
            for (Field field : pusher.getFields()) {
                if (Modifier.isStatic(field.getModifiers()) && field.getType() == String.class) {
                    String name = value(field);
                    if (name != null && name.matches("(streamwatch|visits)_[a-z_]+")) {
                        names.add(name);
                    }
                }
            }
        }
        for (MetricNaming naming : MetricNaming.values()) {
            Stream.of(naming.readerVersion(), naming.readerLagVersions(), naming.readerLagSeconds(), naming.batchDurationMillis(),
                    naming.batchDurationSeconds(), naming.kafkaLag()).filter(Objects::nonNull).forEach(names::add);
        }
        return names;
    }

    private static String value(Field field) {
        try {
            return (String) field.get(null);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }
}
