package io.streamwatch.listeners;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;

/**
 * Appends thousands of commits to a Delta table in seconds, for benchmarks: each new version adds a copy of the
 * data file of the table's newest commit, with that commit's {@code add} action (size, statistics) under the new
 * file's name, written as Delta writes a blind append (one JSON commit file per version, no checkpoint). Spark
 * reads the result as any Delta table.
 */
final class HandWrittenCommits {
    private static final ObjectMapper JSON = new ObjectMapper();

    private HandWrittenCommits() {
    }

    /** Appends {@code count} versions, each adding one file; returns the newest version. */
    static long append(Path table, int count) {
        Path log = table.resolve("_delta_log");
        long newest = newestVersion(log);
        ObjectNode add = templateAdd(log, newest);
        Path dataFile = table.resolve(add.get("path").asText());
        try {
            for (int i = 1; i <= count; i++) {
                long version = newest + i;
                String fileName = String.format("part-%05d-hand-written-%020d.snappy.parquet", 0, version);
                Files.copy(dataFile, table.resolve(fileName));
                long now = System.currentTimeMillis();
                ObjectNode commitInfo = JSON.createObjectNode();
                commitInfo.putObject("commitInfo").put("timestamp", now).put("operation", "WRITE")
                        .put("isBlindAppend", true).putObject("operationParameters").put("mode", "Append").put("partitionBy", "[]");
                ObjectNode nextAdd = add.deepCopy().put("path", fileName).put("modificationTime", now);
                ObjectNode addLine = JSON.createObjectNode();
                addLine.set("add", nextAdd);
                Files.writeString(log.resolve(String.format("%020d.json", version)),
                        JSON.writeValueAsString(commitInfo) + "\n" + JSON.writeValueAsString(addLine) + "\n",
                        StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append commits to " + table, e);
        }
        return newest + count;
    }

    private static long newestVersion(Path log) {
        try (Stream<Path> files = Files.list(log)) {
            return files.map(file -> file.getFileName().toString()).filter(name -> name.matches("\\d{20}\\.json"))
                    .mapToLong(name -> Long.parseLong(name.substring(0, 20))).max()
                    .orElseThrow(() -> new IllegalStateException("no commit in " + log));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static ObjectNode templateAdd(Path log, long version) {
        try {
            List<String> lines = Files.readAllLines(log.resolve(String.format("%020d.json", version)), StandardCharsets.UTF_8);
            for (String line : lines) {
                ObjectNode action = (ObjectNode) JSON.readTree(line);
                if (action.has("add")) {
                    return (ObjectNode) action.get("add");
                }
            }
            throw new IllegalStateException("version " + version + " adds no file");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
