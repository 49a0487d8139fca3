package io.streamwatch.listeners;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * What a Delta table holds that a reader has not read yet: the files, bytes and records of the data-changing
 * {@code add} actions committed after the version it has processed, read from the commit files of those versions
 * (what open-source Delta does not report; Databricks' {@code numFilesOutstanding}/{@code numBytesOutstanding}
 * are its own). A commit file never changes, so each is read once and kept (up to {@link #MAX_KEPT}, the oldest
 * dropped first); all listeners and queries of a JVM share one instance per table. Records come from each file's statistics ({@code numRecords});
 * a file written without them leaves the records unknown. Counted by whole versions: a version split over
 * several micro-batches counts whole until its last batch.
 */
public final class DeltaBacklog {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, DeltaBacklog> TABLES = new ConcurrentHashMap<>();
    /** Commits kept per table (about 100 bytes each); the oldest go first, as readers move on. */
    static final int MAX_KEPT = 100_000;

    /** Files, bytes and records not yet read; {@code records} is -1 when some file has no statistics. */
    public record Backlog(long versions, long files, long bytes, long records) {
        static final Backlog NONE = new Backlog(0, 0, 0, 0);

        Backlog plus(Backlog other) {
            return new Backlog(versions + other.versions, files + other.files, bytes + other.bytes,
                    records < 0 || other.records < 0 ? -1 : records + other.records);
        }
    }

    private final FileSystem fs;
    private final Path logPath;
    private final ConcurrentSkipListMap<Long, Backlog> commits = new ConcurrentSkipListMap<>();

    private DeltaBacklog(Path tablePath, Configuration hadoopConf) {
        try {
            this.fs = tablePath.getFileSystem(hadoopConf);
        } catch (IOException e) {
            throw new UncheckedIOException("no file system for " + tablePath, e);
        }
        this.logPath = new Path(tablePath, "_delta_log");
    }

    /** The table at {@code location} (a qualified path, as Delta names it), shared by this JVM's listeners. */
    public static DeltaBacklog at(String location, Configuration hadoopConf) {
        return TABLES.computeIfAbsent(location, l -> new DeltaBacklog(new Path(l), hadoopConf));
    }

    /** What versions {@code processedVersion + 1} to {@code newestVersion} added. */
    public Backlog after(long processedVersion, long newestVersion) {
        while (commits.size() > MAX_KEPT) {
            commits.pollFirstEntry();
        }
        Backlog total = Backlog.NONE;
        for (long version = Math.max(0, processedVersion + 1); version <= newestVersion; version++) {
            total = total.plus(commits.computeIfAbsent(version, this::read));
        }
        return total;
    }

    /** The commits kept in memory (for tests and the benchmark). */
    int cached() {
        return commits.size();
    }

    private Backlog read(long version) {
        Path commit = new Path(logPath, String.format("%020d.json", version));
        long files = 0;
        long bytes = 0;
        long records = 0;
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(fs.open(commit), StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                if (!line.contains("\"add\"")) {
                    continue;
                }
                JsonNode add = JSON.readTree(line).get("add");
                if (add == null || !add.path("dataChange").asBoolean(true)) {
                    continue;
                }
                files++;
                bytes += add.path("size").asLong();
                long fileRecords = numRecords(add);
                records = records < 0 || fileRecords < 0 ? -1 : records + fileRecords;
            }
        } catch (FileNotFoundException e) {
            throw new IllegalStateException("no commit file for version " + version + " in " + logPath + " (past log retention?)");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + commit, e);
        }
        return new Backlog(1, files, bytes, records);
    }

    private static long numRecords(JsonNode add) {
        JsonNode stats = add.get("stats");
        if (stats == null || !stats.isTextual()) {
            return -1;
        }
        try {
            JsonNode parsed = JSON.readTree(stats.asText());
            return parsed.has("numRecords") ? parsed.get("numRecords").asLong() : -1;
        } catch (IOException e) {
            return -1;
        }
    }
}
