package io.streamwatch.jobs.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.delta.DeltaLog;

/**
 * Ages a Delta table in seconds rather than hours, for benchmarks on tables that have lived: its last commit copied
 * as the next ones up to a version (each copy's data files hard links of the original's, or none: a table that
 * compaction keeps small but whose log grew; its transaction ids moved on by one per commit), then a Delta
 * checkpoint, as Delta's own writes would have left it.
 */
final class DeltaAging {
    private DeltaAging() {
    }

    /** Copies the last commit until the table's version is {@code untilVersion}; returns how many commits were added. */
    static long copyLastCommit(SparkSession spark, String path, long untilVersion) throws IOException {
        return copyLastCommit(spark, path, untilVersion, true);
    }

    /** As {@link #copyLastCommit(SparkSession, String, long)}; without {@code files}, the copies add no data file. */
    static long copyLastCommit(SparkSession spark, String path, long untilVersion, boolean files) throws IOException {
        Path log = Path.of(path, "_delta_log");
        long last = DeltaLog.forTable(spark, path).update(false, scala.Option.empty(), scala.Option.empty()).version();
        List<String> template = Files.readAllLines(log.resolve(String.format("%020d.json", last)), StandardCharsets.UTF_8);
        ObjectMapper json = new ObjectMapper();
        for (long version = last + 1; version <= untilVersion; version++) {
            StringBuilder commit = new StringBuilder();
            int copied = 0;
            for (String line : template) {
                ObjectNode action = (ObjectNode) json.readTree(line);
                if (action.has("add") && !files) {
                    continue;
                } else if (action.has("add")) {
                    ObjectNode add = (ObjectNode) action.get("add");
                    String file = "aged-" + version + "-" + copied++ + ".parquet";
                    Files.createLink(Path.of(path, file), Path.of(path, add.get("path").asText()));
                    add.put("path", file);
                } else if (action.has("txn")) {
                    ((ObjectNode) action.get("txn")).put("version", ((ObjectNode) action.get("txn")).get("version").asLong() + version - last);
                } else if (action.has("commitInfo") || action.has("cdc")) {
                    continue;
                }
                commit.append(json.writeValueAsString(action)).append('\n');
            }
            Files.writeString(log.resolve(String.format("%020d.json", version)), commit);
        }
        DeltaLog deltaLog = DeltaLog.forTable(spark, path);
        deltaLog.update(false, scala.Option.empty(), scala.Option.empty());
        deltaLog.checkpoint();
        return Math.max(0, untilVersion - last);
    }
}
