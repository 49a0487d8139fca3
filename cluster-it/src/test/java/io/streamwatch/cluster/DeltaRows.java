package io.streamwatch.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** Rows of an append-only Delta table, summed from the numRecords statistics of its log's add actions. */
final class DeltaRows {
    private static final ObjectMapper JSON = new ObjectMapper();

    private DeltaRows() {
    }

    static long count(Path table) {
        try (Stream<Path> commits = Files.list(table.resolve("_delta_log"))) {
            return commits.filter(p -> p.getFileName().toString().endsWith(".json")).flatMap(DeltaRows::lines)
                    .mapToLong(DeltaRows::recordsAdded).sum();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Stream<String> lines(Path commit) {
        try {
            return Files.readAllLines(commit).stream();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long recordsAdded(String action) {
        try {
            JsonNode add = JSON.readTree(action).path("add");
            return add.isMissingNode() ? 0 : JSON.readTree(add.path("stats").asText()).path("numRecords").asLong();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
