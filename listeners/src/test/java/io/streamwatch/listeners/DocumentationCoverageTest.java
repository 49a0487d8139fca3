package io.streamwatch.listeners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The reference in {@code docs/} names every setting and every metric the code has: both read from the code's own
 * registry ({@link StreamwatchSettings#keys()}, {@link MetricCatalog#names()}), never from a copy.
 */
class DocumentationCoverageTest {
    private static final Path DOCS = Path.of("..", "docs");

    private static String docs() throws IOException {
        try (Stream<Path> pages = Files.list(DOCS)) {
            return pages.filter(p -> p.toString().endsWith(".md")).sorted().map(p -> {
                try {
                    return Files.readString(p);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).collect(Collectors.joining("\n"));
        }
    }

    @Test
    void everySettingIsDocumented() throws IOException {
        String docs = docs();
        List<String> missing = StreamwatchSettings.keys().stream().filter(key -> !docs.contains("`" + key + "`")).toList();
        assertTrue(StreamwatchSettings.keys().size() > 15, "the registry holds the settings: " + StreamwatchSettings.keys());
        assertEquals(List.of(), missing, "settings missing from docs/");
    }

    @Test
    void everyPushedMetricIsDocumented() throws IOException {
        String docs = docs();
        List<String> missing = MetricCatalog.names().stream().filter(name -> !docs.contains("`" + name + "`")).toList();
        assertTrue(MetricCatalog.names().size() > 30, "the catalog holds the metrics: " + MetricCatalog.names());
        assertEquals(List.of(), missing, "metrics missing from docs/");
    }
}
